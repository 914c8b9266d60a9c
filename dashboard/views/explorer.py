"""Error explorer: filter the errors, open one and see all the evidence about it."""
import dash_components as ui
import dash_data as dd
import streamlit as st

result, key = ui.current()
st.title("Error explorer")
if dd.no_errors_reason(result):
    ui.missing(dd.no_errors_reason(result))
    st.stop()

c1, c2, c3 = st.columns([2, 2, 1])
causes = c1.multiselect("Cause", [*dd.analyzer_names(), dd.UNEXPLAINED], key="explorer_causes",
                        placeholder="any cause")
classes = c2.multiselect("Gold class", dd.cached(dd.error_classes, key), key="explorer_classes",
                         placeholder="any class")
min_score = c3.slider("Min. score", 0.0, 1.0, 0.0, 0.05, key="explorer_min_score",
                      help="Keep errors whose highest score among the chosen causes reaches this.")
errors = dd.cached(dd.filter_errors, key, tuple(causes), tuple(classes), float(min_score))
st.caption(f"{errors.height:,} of {result.summary['n_errors']:,} errors match.")
ui.table(errors, "explorer_errors", name="errors", height=260, column_config={
    "text": st.column_config.TextColumn(width="large"),
    "top_score": st.column_config.ProgressColumn("top score", min_value=0, max_value=1, format="%.2f")},
    empty="no error matches these filters; loosen them to see more.")
if errors.height == 0:
    st.stop()

ids = errors.get_column("id").head(ui.MAX_TABLE_ROWS).to_list()
error_id = st.selectbox("Open an error", ids, key="explorer_error")
detail = dd.cached(dd.error_detail, key, error_id)
row = detail["row"]

st.divider()
st.subheader(f"Error {dd.escape_markdown(row['id'])}")
with st.container(border=True):
    st.markdown(dd.escape_markdown(row["text"]))
for col, (name, value) in zip(st.columns(3), [("Gold label", row["label"]), ("Prediction", row["prediction"]),
                                               ("Primary cause", row["primary_cause"])]):
    with col.container(border=True):
        st.caption(name)
        st.markdown(f"**{dd.escape_markdown(value)}**")

st.markdown("**Cause scores and evidence**")
for score in detail["scores"].iter_rows(named=True):
    value = "not scored" if score["score"] is None else f"{score['score']:.2f}"
    limit = "" if score["threshold"] is None else f" (threshold {score['threshold']:.2f})"
    if score["stated_precision"] is not None:
        limit += f", stated precision {score['stated_precision']:.0%}"
    icon = ":material/check_circle:" if score["attributed"] else ":material/radio_button_unchecked:"
    with st.expander(f"{icon} {score['cause']}: {value}{limit}", expanded=bool(score["attributed"]),
                     key=f"explorer_cause_{score['cause']}"):
        st.markdown(dd.escape_markdown(score["evidence"]) if score["evidence"] else "_No evidence recorded._")
ui.table(detail["scores"], "explorer_scores", name=f"{error_id}_scores")

st.markdown("**Nearest training rows**")
if detail["neighbors"].height:
    ui.table(detail["neighbors"], "explorer_neighbors", name=f"{error_id}_neighbors", column_config={
        "text": st.column_config.TextColumn(width="large"),
        "is_label_issue": st.column_config.CheckboxColumn("label looks wrong")})
else:
    st.caption("No training rows in this result.")

st.markdown("**Annotator votes**")
if detail["votes"].height:
    ui.table(detail["votes"], "explorer_votes", name=f"{error_id}_votes")
    if detail["item"].height:
        ui.table(detail["item"], "explorer_item", name=f"{error_id}_consensus")
else:
    st.caption("No annotations for this row.")

st.markdown("**Retrieved passages**")
if detail["passages"].height:
    ui.table(detail["passages"], "explorer_passages", name=f"{error_id}_passages",
             column_config={"passage": st.column_config.TextColumn(width="large")})
    for c in detail["conflicts"].iter_rows(named=True):
        left, right = st.columns(2)
        left.markdown(f"**{dd.escape_markdown(c['passage_a'])}:** {dd.highlight(c['sentence_a'], c['span_a'])}")
        right.markdown(f"**{dd.escape_markdown(c['passage_b'])}:** {dd.highlight(c['sentence_b'], c['span_b'])}")
else:
    st.caption("No passages for this row.")

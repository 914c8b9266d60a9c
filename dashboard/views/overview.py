"""Overview: accuracy, errors by cause and combination, per-class error rates, what ran."""
import dash_components as ui
import dash_data as dd
import streamlit as st

result, key = ui.current()
s = result.summary
st.title("Overview")
st.caption(f"Task: {s.get('task')} · seed {s.get('seed')} · diagnose {s.get('versions', {}).get('diagnose', '?')}")

m = st.columns(4)
m[0].metric("Eval rows", f"{s['n_eval']:,}", border=True)
m[1].metric("Labelled rows", f"{s['n_labelled']:,}", border=True)
m[2].metric("Errors", f"{s['n_errors']:,}", border=True)
m[3].metric("Accuracy", "n/a" if s["accuracy"] is None else f"{s['accuracy']:.1%}", border=True)

wrong = (s.get("counts") or {}).get("expected_misattributed_share")
if wrong is not None:
    st.caption(f"About {wrong:.0%} of the causes given are expected to be wrong: one minus each verdict's stated "
               "precision (how often evidence this strong had the cause in calibration), averaged.")

no_errors = dd.no_errors_reason(result)
if no_errors:
    ui.missing(no_errors)

left, right = st.columns(2)
with left:
    st.subheader("Errors by cause")
    st.caption("An error can have several causes, so these can add up to more than the errors.")
    causes = dd.cached(dd.cause_counts, key)
    ui.bar_chart(causes, "cause", "n_errors", key="overview_cause_chart")
    ui.table(causes, "overview_causes", name="errors_by_cause")
with right:
    st.subheader("Errors by combination of causes")
    st.caption("Each error counted once, under its exact set of causes.")
    ui.table(dd.cached(dd.combination_counts, key), "overview_combinations", name="errors_by_combination",
             empty="there are no errors.")

st.subheader("Error rate per gold class")
if s.get("task") == "generation":
    st.caption("Not shown for a generation task: every reference answer is its own 'class'.")
else:
    st.caption("Classes with the most errors first, with the cause that explains most of them.")
    ui.table(dd.cached(dd.class_error_rates, key), "overview_classes", name="class_error_rates", column_config={
        "error_rate": st.column_config.ProgressColumn("error rate", format="percent", min_value=0, max_value=1),
        "dominant_share": st.column_config.NumberColumn("share of its errors", format="percent"),
    }, empty="no eval row has both a gold label and a prediction.")

st.subheader("Analyzers: what ran and what was skipped")
ui.table(dd.cached(dd.analyzer_status, key), "overview_analyzers", name="analyzers", column_config={
    "what it looks for": st.column_config.TextColumn(width="large"),
})

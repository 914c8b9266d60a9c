"""Context: eval rows whose retrieved passages contradict each other."""
import streamlit as st

import dash_components as ui
import dash_data as dd

result, key = ui.current()
st.title("Context")
st.caption("Two retrieved passages that state the same fact differently (a number, a date, a name, a "
           "negation) leave the model to guess. The differing spans are highlighted.")

conflicts = dd.cached(dd.context_conflicts, key)
if conflicts.height == 0:
    reason = ("no retrieved contexts were given; pass --contexts to `diagnose run`."
              if result.table("contexts") is None else dd.skip_reason(result, "contradictory_context"))
    if result.table("context_conflicts") is not None:
        reason = "no conflicting passages were found."
    ui.missing(reason)
    st.stop()

only_errors = st.toggle("Only rows the model got wrong", value=True, key="context_only_errors")
shown = conflicts.filter(conflicts["is_error"].fill_null(False)) if only_errors else conflicts
m = st.columns(2)
m[0].metric("Rows with a conflict", f"{shown.get_column('id').n_unique():,}", border=True)
m[1].metric("Conflicting passage pairs", f"{shown.height:,}", border=True)
ui.table(shown.select("id", "kind", "strength", "span_a", "span_b", "text", "label", "prediction"),
         "context_table", name="context_conflicts", column_config={
             "strength": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f"),
             "text": st.column_config.TextColumn("question", width="large")},
         empty=("no conflicting passages among the rows the model got wrong; turn off the toggle above to see "
                "conflicts in all rows") if only_errors and conflicts.height else None)

if shown.height:
    st.subheader("Side by side")
    pick = st.selectbox("Conflict", range(shown.height), key="context_pick", format_func=lambda i: (
        f"{shown['id'][i]} · {shown['kind'][i]} · strength {shown['strength'][i]:.2f}"))
    row = shown.row(pick, named=True)
    st.markdown(f"**Question:** {dd.escape_markdown(row['text'])}")
    st.markdown(f"**Gold:** {dd.escape_markdown(row['label'])} · **Prediction:** "
                f"{dd.escape_markdown(row['prediction'])} · **Kind:** {dd.escape_markdown(row['kind'])}")
    left, right = st.columns(2)
    for col, side in ((left, "a"), (right, "b")):
        with col.container(border=True):
            st.markdown(f"**Passage {dd.escape_markdown(row[f'passage_{side}'])}** says "
                        f"“{dd.escape_markdown(row[f'span_{side}'])}”")
            st.markdown(dd.highlight(row[f"sentence_{side}"], row[f"span_{side}"]))

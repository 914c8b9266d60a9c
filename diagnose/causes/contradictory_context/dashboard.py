"""Context page: eval rows whose retrieved passages contradict each other.

``page(st, ui, dd, result, key)`` is drawn by the dashboard, which passes streamlit and its own
modules in; nothing here imports streamlit.
"""
from __future__ import annotations

from diagnose.causes.contradictory_context.tables import NAME, context_conflicts


def page(st, ui, dd, result, key) -> None:
    """Draw the context page for ``result`` (cache key ``key``)."""
    st.title("Context")
    st.caption("Two retrieved passages that state the same fact differently (a number, a date, a name, a "
               "negation) leave the model to guess. The differing spans are highlighted.")
    ui.require_ran(result, NAME)
    findings = result.summary["analyzers"][NAME].get("findings") or {}
    m = st.columns(3)
    m[0].metric("Errors explained", f"{dd.explained_by(result, NAME):,}", border=True,
                help="Errors attributed to conflicting passages, as the report counts them.")
    m[1].metric("Rows with a strong conflict", f"{findings.get('n_rows_with_conflict', 0):,}", border=True,
                help="Eval rows with a strong conflict, errors or not, as the analyzer counts them.")
    m[2].metric("Rows with passages", f"{findings.get('n_rows_with_passages', 0):,}", border=True)

    conflicts = dd.cached(context_conflicts, key, False)
    if conflicts.height == 0:
        ui.missing("no conflicting passages were found.")
        return
    only_explained = st.toggle("Only the errors explained by conflicting passages", value=True,
                               key="context_only_errors")
    shown = dd.cached(context_conflicts, key, True) if only_explained else conflicts
    if shown.height:
        st.caption(f"{shown.height:,} {'row' if shown.height == 1 else 'rows'}, each with its strongest conflict, "
                   "strongest first.")
    ui.table(shown.select("id", "kind", "strength", "span_a", "span_b", "text", "label", "prediction"),
             "context_table", name="context_conflicts", column_config={
                 "strength": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f"),
                 "text": st.column_config.TextColumn("question", width="large")},
             empty=("no error is attributed to conflicting passages; turn off the toggle above to see "
                    "conflicts in all rows") if only_explained else None)
    if shown.height:
        _side_by_side(st, dd, shown)


def _side_by_side(st, dd, shown) -> None:
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

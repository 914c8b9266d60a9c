"""Labels page: training rows whose label looks wrong, and eval rows whose gold label looks wrong.

``page(st, ui, dd, result, key)`` is drawn by the dashboard, which passes streamlit and its own
modules in; nothing here imports streamlit.
"""
from __future__ import annotations

from diagnose.causes.noisy_label.tables import NAME, label_confusion, suspect_gold, train_label_issues

ANY = "(any)"


def page(st, ui, dd, result, key) -> None:
    """Draw the labels page for ``result`` (cache key ``key``)."""
    st.title("Labels")
    st.caption("Rows whose given label disagrees with what the out-of-sample model and the neighbouring "
               "rows suggest. Mislabelled training rows teach the model the wrong thing; a wrong gold "
               "label makes a correct prediction count as an error.")
    ui.require_ran(result, NAME)
    if result.table("train_issues") is None:
        ui.missing("no training table was given, so only the eval rows below were checked.")
    else:
        _training_rows(st, ui, dd, key)
    st.subheader("Eval rows whose gold label looks wrong")
    if dd.no_errors_reason(result):
        ui.missing(dd.no_errors_reason(result))
        return
    gold = dd.cached(suspect_gold, key)
    st.caption(f"{gold.height:,} errors attributed to a noisy label whose evidence says the gold label itself "
               "looks wrong: the prediction may be right.")
    ui.table(gold, "labels_gold", name="suspect_gold_labels", column_config={
        "text": st.column_config.TextColumn(width="large"),
        f"evidence_{NAME}": st.column_config.TextColumn("evidence", width="large"),
    })


def _training_rows(st, ui, dd, key) -> None:
    confusion = dd.cached(label_confusion, key)
    flagged = int(confusion.get_column("n_rows").sum()) if confusion.height else 0
    st.metric("Training rows that look mislabelled", f"{flagged:,}", border=True)
    st.subheader("Given → suggested label")
    st.caption("How many flagged training rows move from each given label to each suggested label.")
    ui.table(confusion, "labels_confusion", name="label_confusion", height=300)

    st.subheader("Training rows whose label looks wrong")
    c1, c2 = st.columns(2)
    given = c1.selectbox("Given label", [ANY, *sorted(set(confusion.get_column("given_label")))],
                         key="labels_given")
    suggested = c2.selectbox("Suggested label", [ANY, *sorted(set(confusion.get_column("suggested_label")))],
                             key="labels_suggested")
    rows = dd.cached(train_label_issues, key, None if given == ANY else given,
                     None if suggested == ANY else suggested)
    st.caption(f"{rows.height:,} {'row' if rows.height == 1 else 'rows'}, least trustworthy label first.")
    ui.table(rows, "labels_train", name="train_label_issues", column_config={
        "text": st.column_config.TextColumn(width="large"),
        "label_quality": st.column_config.ProgressColumn("label quality", min_value=0, max_value=1, format="%.2f"),
    })

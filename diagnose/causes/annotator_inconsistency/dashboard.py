"""Annotators page: quality and agreement per annotator, pairwise agreement, most disputed items.

``page(st, ui, dd, result, key)`` is drawn by the dashboard, which passes streamlit and its own
modules in; nothing here imports streamlit (altair is imported when the page is drawn).
"""
from __future__ import annotations

from diagnose.causes.annotator_inconsistency.tables import (
    NAME,
    agreement_matrix,
    agreement_split,
    ambiguous_errors,
    disputed_items,
    krippendorff,
    pairwise_agreement,
    readings,
)

NO_ANNOTATIONS = "no annotations were given; pass --annotations to `diagnose run` to fill this page."


def page(st, ui, dd, result, key) -> None:
    """Draw the annotators page for ``result`` (cache key ``key``)."""
    st.title("Annotators")
    st.caption("When annotators disagree, the gold label is partly a coin toss. Quality is the estimated chance "
               "an annotator's label is right; agreement is how often they match the consensus.")
    ui.require_ran(result, NAME)
    if result.table("annotations") is None:
        _near_duplicates(st, ui, dd, key)
        return
    _agreement(st, ui, result)
    _readings(st, ui, dd, key)
    _pairs(st, ui, dd, key)
    st.subheader("Items with the most disagreement")
    disputed = dd.cached(disputed_items, key, 100)
    if disputed.height == 0:
        ui.missing("no item was labelled differently by its annotators.")
    else:
        _disputed_table(st, ui, disputed, "annotators_disputed")


def _disputed_table(st, ui, frame, key: str) -> None:
    """The most disputed items (annotator votes or near-duplicate copies), least agreement first."""
    config = {"text": st.column_config.TextColumn(width="large"),
              "agreement": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f")}
    if "votes" in frame.columns:
        config["votes"] = st.column_config.ListColumn(width="large")
    ui.table(frame, key, name="disputed_items", column_config=config)


def _near_duplicates(st, ui, dd, key) -> None:
    # Without annotations the analyzer can only compare near-duplicate rows that carry different labels;
    # there are no annotators, so alpha, quality and pairwise agreement would all be empty or zero.
    near = dd.cached(disputed_items, key, 100)
    if near.height == 0:
        ui.missing(NO_ANNOTATIONS)
        return
    ui.missing(NO_ANNOTATIONS.replace(" to fill this page", " for per-annotator quality and agreement"))
    st.subheader("Near-duplicate rows with conflicting labels")
    st.caption("Without annotations the analyzer treats near-identical rows as copies labelled by different "
               "people: these groups carry different labels, least agreement first.")
    _disputed_table(st, ui, near, "annotators_disputed")


def _agreement(st, ui, result) -> None:
    alpha, reading = krippendorff(result)
    m = st.columns(3)
    m[0].metric("Krippendorff's alpha", "n/a" if alpha is None else f"{alpha:.3f}", border=True,
                help="Chance-corrected agreement over all items: ≥ 0.8 reliable, ≥ 0.667 tentative, below unreliable.")
    m[1].metric("Reading", reading or "n/a", border=True)
    annotators = result.table("annotators")
    m[2].metric("Annotators", "n/a" if annotators is None else f"{annotators.height:,}", border=True)
    if alpha is None:
        st.caption("The analyzer reported no alpha: it needs items labelled by at least two annotators.")
    st.subheader("Per-annotator quality and agreement")
    if annotators is None:
        ui.missing("the analyzer wrote no per-annotator table for this result.")
        return
    ui.table(annotators.sort("quality"), "annotators_table", name="annotators", column_config={
        "quality": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f"),
        "agreement_with_consensus": st.column_config.ProgressColumn(
            "agreement with consensus", min_value=0, max_value=1, format="%.2f"),
    })


def _pairs(st, ui, dd, key) -> None:
    import altair as alt

    st.subheader("Pairwise agreement")
    st.caption("Share of the items two annotators both labelled on which they gave the same label.")
    pairs = dd.cached(pairwise_agreement, key)
    if pairs.height == 0:
        ui.missing("no two annotators labelled the same item.")
        return
    heat = alt.Chart(pairs.to_pandas()).mark_rect().encode(
        x=alt.X("annotator_b:N", title=None), y=alt.Y("annotator_a:N", title=None),
        color=alt.Color("agreement:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title="agreement"),
        tooltip=["annotator_a", "annotator_b", alt.Tooltip("agreement:Q", format=".2f"), "n_shared"],
    )
    text = heat.mark_text(fontSize=11).encode(text=alt.Text("agreement:Q", format=".2f"),
                                              color=alt.value("black"))
    size = min(640, 60 + 46 * pairs.get_column("annotator_a").n_unique())
    st.altair_chart((heat + text).properties(height=size, width=size), key="annotators_heatmap")
    ui.table(dd.cached(agreement_matrix, key), "annotators_matrix", name="pairwise_agreement")


def _readings(st, ui, dd, key) -> None:
    """The three readings of the errors with votes, and accuracy where people agree vs disagree."""
    import altair as alt

    table = dd.cached(readings, key)
    if table.height == 0:
        return
    st.subheader("Why the errors with votes are wrong")
    st.caption("Each error with votes is read as an ambiguous item (people genuinely disagree: not the model's "
               "fault), a wrong gold label (relabel it) or a model mistake (fix the model), from its votes weighed "
               "by annotator reliability and the model's probabilities. The stated precision is the posterior "
               "probability of the reading; with 1-2 votes it leans on the model.")
    ui.table(table, "annotators_readings", name="readings", column_config={
        "mean_stated_precision": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f")})
    split = dd.cached(agreement_split, key)
    if split.height:
        st.markdown("**Accuracy on items people agree on vs items they disagree on**")
        bars = alt.Chart(split.to_pandas()).mark_bar().encode(
            x=alt.X("accuracy:Q", scale=alt.Scale(domain=[0, 1])), y=alt.Y("items:N", title=None),
            tooltip=["items", "rows", alt.Tooltip("accuracy:Q", format=".3f"),
                     alt.Tooltip("expected_disagreement:Q", format=".2f")])
        st.altair_chart(bars.properties(height=90), key="annotators_split")
        ui.table(split, "annotators_split_table", name="agreement_split")
    st.markdown("**Errors, most likely ambiguous first** (ambiguity: expected share of people who would "
                "disagree with the majority label, with its 80% interval)")
    ui.table(dd.cached(ambiguous_errors, key, 100), "annotators_ambiguous", name="ambiguous_errors")

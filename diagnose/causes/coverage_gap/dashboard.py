"""Coverage page: where eval rows sit relative to the training data, and the under-covered regions.

``page(st, ui, dd, result, key)`` is drawn by the dashboard, which passes streamlit and its own
modules in; nothing here imports streamlit (altair is imported when the page is drawn).
"""
from __future__ import annotations

from diagnose.causes.coverage_gap.tables import SCORE, coverage_regions, region_rows

NAME = "coverage_gap"
MAX_POINTS = 20_000


def page(st, ui, dd, result, key) -> None:
    """Draw the coverage page for ``result`` (cache key ``key``)."""
    st.title("Coverage")
    st.caption("Eval rows far from any training row are hard to get right. The map projects the shared "
               "embedding onto its two main axes; errors are coloured by their primary cause.")
    ui.require_ran(result, NAME)
    _map(st, ui, dd, result, key)
    _regions(st, ui, dd, key)
    st.subheader("Errors attributed to a coverage gap")
    if dd.no_errors_reason(result):
        ui.missing(dd.no_errors_reason(result))
        return
    ui.table(dd.cached(dd.errors_with_cause, key, NAME), "coverage_errors", name=f"{NAME}_errors",
             column_config={SCORE: st.column_config.ProgressColumn(
                 "score", min_value=0, max_value=1, format="%.2f")},
             empty=f"no error scored above the {NAME} threshold.")


def _map(st, ui, dd, result, key) -> None:
    import altair as alt

    points = dd.cached(dd.map_points, key, MAX_POINTS)
    if points.height == 0:
        ui.missing("this result has no 2-D map (no embeddings were computed).")
        return
    total = result.table("embedding_map").height
    if total > points.height:
        st.caption(f"Showing {points.height:,} of {total:,} points (all errors first, then a random sample).")
    groups = sorted(points.get_column("group").unique().to_list(), key=lambda g: (g.startswith("error"), g))
    data = points.select("id", "split", "x", "y", "label", "prediction", "group", "layer").to_pandas()
    base = alt.Chart(data).encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None),
        color=alt.Color("group:N", scale=ui.cause_colour_scale(groups), title=None,
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=320)),
        tooltip=["id", "split", "label", "prediction", "group"],
    )
    background = base.transform_filter(alt.datum.layer == "background").mark_circle(size=14, opacity=0.5)
    errors = base.transform_filter(alt.datum.layer == "error").mark_circle(size=46, opacity=0.9,
                                                                           stroke="white", strokeWidth=0.5)
    st.altair_chart((background + errors).properties(height=520).interactive(), key="coverage_map",
                    width="stretch")


def _regions(st, ui, dd, key) -> None:
    st.subheader("Under-covered regions")
    regions = dd.cached(coverage_regions, key)
    if regions.height == 0:
        ui.missing("no group of isolated eval rows was found.")
        return
    st.caption("Groups of isolated eval rows with the terms that set them apart from the training data.")
    ui.table(regions.drop("example_ids"), "coverage_regions", name="coverage_regions",
             column_config={"top_terms": st.column_config.ListColumn("top terms", width="large")})
    region = st.selectbox("Example rows of region", regions.get_column("region").to_list(),
                          key="coverage_region",
                          format_func=lambda r: f"region {r}: " + ", ".join(
                              regions.filter(regions["region"] == r).get_column("top_terms").item()[:5]))
    ui.table(dd.cached(region_rows, key, region), "coverage_region_rows", name=f"region_{region}_rows")

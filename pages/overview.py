"""Overview: the paper's main table — target tasks × intermediate tasks, coloured by gain."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages._common import UNCERTAIN_MARK, current_scope, one_input_condition, sources_of, warn_if_test_artifacts
from pages._view import (
    finish_page,
    show_chart,
    show_table,
    significance_controls,
    start_page,
    url_radio,
    url_selectbox,
)
from pipeline.analysis.defaults import has_replicates
from pipeline.analysis.tables import (
    COMPARISON_COLUMNS,
    OverviewIntervals,
    OverviewTable,
    comparison_label,
    comparison_title,
    comparisons_in,
    overview_intervals,
    overview_table,
    task_metric,
)
from pipeline.presentation import numbers
from pipeline.presentation.palette import DIVERGING
from pipeline.tasks import BASELINE, display_name

#: Gains beyond this many points get the darkest colour, so that small XNLI changes stay visible
#: next to the +50 of Tatoeba.
COLOUR_CAP = 10


def of_mlm(selected: pd.DataFrame, mlm: str) -> pd.DataFrame:
    """The grid's rows with or without MLM co-training (``both``: all), baselines always."""
    if mlm == "both":
        return selected
    return selected[selected["intermediate_task"].eq("none") | selected["mlm_cotraining"].eq(mlm == "with")]


def replicated(selected: pd.DataFrame, mlm: str) -> bool:
    return has_replicates(of_mlm(selected, mlm))


def grid_tables(selected: pd.DataFrame, mlm: str, show: str, qa_metric: str, method: str,
                correction: str) -> tuple[OverviewTable, OverviewTable, OverviewIntervals | None]:
    """The shown table, the gains that colour it and (for gains) their intervals, of one grid."""
    selected = of_mlm(selected, mlm)
    intervals = overview_intervals(selected, qa_metric, method=method, correction=correction) if show == "gain" \
        else None
    gains = overview_table(selected, show="gain", qa_metric=qa_metric)
    return (gains if show == "gain" else overview_table(selected, show=show, qa_metric=qa_metric)), gains, intervals

start_page(
    "Overview",
    "Each cell is one target task's score (mean over its languages) after intermediate-task training, "
    "coloured by the gain over the baseline without intermediate training (Phang et al. 2020, Table 2).",
)
scope = current_scope()
grids = scope.summarised(comparisons_in)
if grids.empty:
    st.info("No results match the filters in the sidebar. Clear a filter to see the published table.")
    st.stop()

labels = {comparison_label(row): row for row in grids.to_dict("records")}
# Only the label columns: a whole first row per model would decode every column of the store.
first_of_model = scope.first_rows(("model",), columns=("model", "model_label", "test_artifact"))
model_labels = first_of_model.set_index("model")["model_label"]
grid = labels[url_selectbox("Experiment grid", list(labels), key="grid",
                            format_func=lambda key: comparison_title(labels[key], model_labels[labels[key]["model"]]))]
where, inputs = one_input_condition(scope, scope.narrowed(**{c: [grid[c]] for c in COMPARISON_COLUMNS}))

left, middle, right = st.columns(3)
show = url_radio("Show", ["absolute", "gain"], key="show", container=left, horizontal=True,
                 format_func={"absolute": "Scores", "gain": "Gain vs baseline"}.get)
qa_metric = url_radio("QA metric", ["f1", "em"], key="qa", container=middle, horizontal=True, format_func=str.upper)
mlm = url_radio("MLM co-training", ["both", "without", "with"], key="mlm", container=right, horizontal=True)
# Only the metric each column shows is read (F1 or EM for QA, else the task's primary metric).
where = where.keeping(metric=sorted({task_metric(t, qa_metric) for t in scope.values("target_task", where)}))
testable = show == "gain" and scope.analysed(replicated, where, mlm)  # single published numbers: nothing to test
mask, method, correction = significance_controls() if testable else (False, "permutation", "holm")
shown, gains, intervals = scope.analysed(grid_tables, where, mlm, show, qa_metric, method, correction)
colour = gains.values
warn_if_test_artifacts(scope.distinct(("test_artifact",), where))
if shown.values.empty:
    st.info("This grid has no number in the chosen metric. Try the other QA metric or another grid.")
    st.stop()
if colour.isna().all().all():
    st.caption("No baseline in this grid: cells are not coloured.")

text = shown.values.map(numbers.gain if show == "gain" else numbers.score)
hover = shown.hover
has_intervals = show == "gain" and not intervals.half_width.empty and intervals.half_width.notna().any().any()
if show == "gain" and not intervals.half_width.empty:
    half = intervals.half_width.reindex_like(shown.values)
    text = text.where(half.isna(), text + " ±" + half.map(numbers.score))
    hover = hover + "<br>" + intervals.note.reindex_like(shown.values).fillna("")
    if mask:
        colour = colour.where(~intervals.dimmed.reindex_like(colour).fillna(False).astype(bool))
text = text.where(~shown.uncertain, text + UNCERTAIN_MARK)
figure = go.Figure(
    go.Heatmap(
        z=colour.reindex_like(shown.values).to_numpy(),
        x=list(shown.values.columns),
        y=list(shown.values.index),
        text=text.to_numpy(),
        texttemplate="%{text}",
        customdata=hover.to_numpy(),
        hovertemplate="%{y} → %{x}<br>%{text}<br>%{customdata}<extra></extra>",
        colorscale=DIVERGING,
        zmin=-COLOUR_CAP,
        zmax=COLOUR_CAP,
        colorbar={"title": f"gain<br>(±{COLOUR_CAP} cap)"},
    )
)
figure.update_layout(
    height=140 + 32 * len(shown.values),
    margin={"t": 10, "b": 10},
    yaxis={"autorange": "reversed"},
    xaxis={"side": "top"},
)
what = "gain over the baseline" if show == "gain" else "score"
title = " · ".join(filter(None, [model_labels[grid["model"]], grid["split"], inputs,
                                 f"{what} ({qa_metric.upper()} for QA)"]))
show_chart(figure, name=f"overview-{show}", key="overview_heatmap", title=title)
if shown.uncertain.any().any():
    st.caption(f"{UNCERTAIN_MARK} contains a number the transcription flags as uncertain (see Data & sources).")
grid_title = ", ".join(filter(None, [comparison_title(grid, model_labels[grid["model"]]), inputs]))
baseline = [row for row in shown.values.index if row.startswith(display_name(BASELINE))]
if has_intervals:
    if mask:
        st.caption("Uncoloured cells: gains not significant after correction. Published numbers are single values "
                   "(n=1): they get no interval and no test.")
    show_table(shown.values, name=f"overview-{show}", key="overview_table", title=title,
               caption=f"{grid_title}; mean gain ± half the 95% CI (seeds). "
                       "Bold in LaTeX: the best significant gain per column.",
               ci=intervals.half_width.reindex_like(shown.values), n=intervals.n.reindex_like(shown.values),
               baseline_rows=baseline, significant=intervals.significant.reindex_like(shown.values), signed=True)
else:
    show_table(shown.values.round(1), name=f"overview-{show}", key="overview_table", title=title,
               caption=f"{grid_title}; {what}, {qa_metric.upper()} for QA "
                       "tasks. Bold in LaTeX: the best value per column, the baseline row excluded.",
               long_csv=True, baseline_rows=baseline, signed=show == "gain")
finish_page(sources_of(shown.cells["provenance"]))

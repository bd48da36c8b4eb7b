"""Task complexity: does a harder or richer intermediate task change the English vs non-English gap?"""

import pandas as pd
import plotly.express as px
import streamlit as st

from pages._common import current_scope, sources_of, warn_if_test_artifacts
from pages._view import finish_page, show_chart, show_table, start_page, url_radio, url_selectbox
from pipeline.analysis.complexity import MEASURES, OUTCOMES, complexity_correlations, published_profiles, task_effects
from pipeline.presentation.palette import colour_map
from pipeline.tasks import BENCHMARK_AVERAGE, all_target_ids, display_name, target_tasks

MEASURE_LABELS = {
    "train_size": "Training-set size (examples)",
    "label_space": "Label / answer-space size",
    "mean_input_tokens": "Mean input length (tokens)",
    "type_token_ratio": "Lexical diversity (type/token ratio)",
    "english_dev_score": "English dev score (difficulty)",
}
OUTCOME_LABELS = {"mean_gain": "Mean gain over target languages", "gap_change": "Gap change (English − non-English)"}
CONDITION = ["model", "source_id", "split", "setting", "mlm_cotraining", "perturbation"]


@st.cache_data(show_spinner="Rank correlations with bootstrap intervals…", max_entries=16)
def correlations(profiles: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    return complexity_correlations(profiles, effects)


def condition_label(row: pd.Series) -> str:
    mlm = " + MLM" if row["mlm_cotraining"] else ""
    perturbation = "" if row["perturbation"] == "none" else f" · {row['perturbation']}"
    return f"{row['model']}{mlm} · {row['source_id']} · {row['split']} · {row['setting']}{perturbation}"


start_page("Task complexity", "Each intermediate task's complexity measure (x: training-set size, label-space size, "
           "…) against its effect (y: the mean gain over target languages, or the change of the English − "
           "non-English gap), with Spearman and Kendall rank correlations across intermediate tasks, 95% bootstrap "
           "intervals and Holm-corrected p-values. Default data: Phang et al. 2020 Table 1 training-set sizes, the "
           "registry's label spaces and the Table 2 gains.")
profiles = published_profiles()
st.subheader("Complexity profiles")
show_table(profiles.set_index("intermediate_task")[["head", *MEASURES, "label_space_counts", "source"]],
           name="complexity-profiles", key="cx_profiles", title="Intermediate-task complexity profiles",
           caption="From the published Table 1 and the task registry. Input length, lexical diversity and the English "
                   "dev score need the task's data or a run, so they are empty here rather than guessed.")

scope = current_scope()
profiled = scope.where.keeping(intermediate_task=profiles["intermediate_task"])
present = set(scope.values("target_task", profiled))
targets = [t for t in (BENCHMARK_AVERAGE, *all_target_ids()) if t in present]
if not targets:
    st.info("No gains of the profiled intermediate tasks match the filters in the sidebar (a gain needs a baseline "
            "without intermediate training in the same source). Clear a filter to see Phang et al.'s Table 2.")
    st.stop()

left, middle = st.columns([1, 2])
target = url_selectbox("Target task", targets, key="cx_target", default=BENCHMARK_AVERAGE, container=left,
                       format_func=lambda t: "XTREME average" if t == BENCHMARK_AVERAGE else display_name(t))
primary = "score" if target == BENCHMARK_AVERAGE else target_tasks()[target].primary
of_target = scope.narrowed(target_task=[target], metric=[primary])
with st.spinner("Computing gains over the baselines…"):
    effects = scope.analysed(task_effects, of_target)
effects = effects[effects["intermediate_task"].isin(profiles["intermediate_task"])]
if effects.empty:
    st.info("No gains of the profiled intermediate tasks on this target task match the filters in the "
            "sidebar (a gain needs a baseline without intermediate training in the same source).")
    st.stop()
labels = effects.apply(condition_label, axis=1)
options = sorted(labels.unique(), key=lambda c: ("phang2020_v1" not in c, "+ MLM" in c, c))
condition = url_selectbox("Condition", options, key="cx_condition", container=middle)
effects = effects[labels == condition]
left, right = st.columns(2)
measure = url_selectbox("Measure", list(MEASURES), key="cx_measure", container=left, format_func=MEASURE_LABELS.get)
outcome = url_radio("Effect", list(OUTCOMES), key="cx_outcome", container=right, horizontal=True,
                    format_func=OUTCOME_LABELS.get)
warn_if_test_artifacts(scope.distinct(("test_artifact",), scope.narrowed(model=effects["model"].unique())))
if effects["gap_change"].isna().all():
    st.caption("Gap change needs per-language results (English and non-English scores of each run and its "
               "baseline); these are means over languages (like Phang et al.'s Table 2), so only the mean gain "
               "can be related to complexity.")

table = correlations(profiles, effects)
both = profiles.merge(effects, on="intermediate_task")
plotted = both.dropna(subset=[measure, outcome])
if plotted.empty:
    reason = table.loc[(table["measure"] == measure) & (table["outcome"] == outcome), "refused"].iloc[0]
    st.info(f"Nothing to plot for {MEASURE_LABELS[measure].lower()} against {OUTCOME_LABELS[outcome].lower()}: "
            f"{reason}.")
else:
    plotted = plotted.assign(task=plotted["intermediate_task"].map(display_name))
    figure = px.scatter(plotted, x=measure, y=outcome, color="intermediate_task", text="task",
                        log_x=measure == "train_size", hover_data=["head", "n_languages"],
                        color_discrete_map=colour_map("task", plotted["intermediate_task"]),
                        labels={measure: MEASURE_LABELS[measure], outcome: OUTCOME_LABELS[outcome]})
    figure.update_traces(textposition="top center", marker={"size": 11})
    figure.update_layout(showlegend=False, margin={"t": 10})
    title = f"{MEASURE_LABELS[measure]} vs {OUTCOME_LABELS[outcome].lower()}: {condition}, {target}"
    show_chart(figure, name=f"complexity-{measure}-{outcome}", key="cx_chart", title=title,
               caption="One point per intermediate task.")

st.subheader("Rank correlations across intermediate tasks")
tested = table[table["refused"].isna()].assign(measure=lambda t: t["measure"].map(MEASURE_LABELS),
                                                outcome=lambda t: t["outcome"].map(OUTCOME_LABELS))
if tested.empty:
    st.info("No measure can be correlated with an effect here.")
else:
    coefficients = tested.pivot_table(index=["measure", "outcome"], columns="method", values="coefficient", sort=False)
    half = tested.assign(h=(tested["ci_high"] - tested["ci_low"]) / 2).pivot_table(
        index=["measure", "outcome"], columns="method", values="h", sort=False)
    counts = tested.pivot_table(index=["measure", "outcome"], columns="method", values="n", sort=False)
    show_table(coefficients, name="complexity-correlations", key="cx_correlations",
               title=f"Rank correlations: {condition}, {target}", ci=half, n=counts, digits=2,
               caption="Coefficient ± half its 95% bootstrap interval (n = intermediate tasks). Percentile intervals "
                       "are asymmetric: the table below has the bounds.")
    show_table(tested[["measure", "outcome", "method", "coefficient", "ci_low", "ci_high", "p_value", "p_adjusted",
                       "n"]], name="complexity-correlation-tests", key="cx_tests", index=False, digits=3,
               title="Rank correlation tests",
               caption="p: two-sided; adjusted: Holm over every measure × effect of the method.")
refusals = table[table["refused"].notna()].drop_duplicates("refused")
if not refusals.empty:
    st.caption("Not correlated: " + "; ".join(f"{r.measure} × {r.outcome}: {r.refused}" for r in
                                              refusals.itertuples()))
used = scope.narrowed(model=effects["model"].unique(), source_id=effects["source_id"].unique())
finish_page(sorted({*profiles["source"], *sources_of(scope.distinct(("provenance",), used)["provenance"])}))

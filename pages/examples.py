"""Examples: which examples one run (or evaluation condition) fixes or breaks against another, language by
language, and in which buckets (length, label, entities, answer length, script, perturbation) the gain sits."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages._common import current_scope, get_store, sources_of, warn_if_test_artifacts
from pages._view import finish_page, show_chart, show_table, start_page, url_multiselect, url_selectbox
from pipeline.analysis.example_runs import reference_run, run_catalogue
from pipeline.analysis.examples import ATTRIBUTE_ALIASES, FLIPS, available_attributes, example_table, filter_examples
from pipeline.examples import ExamplesError, ExampleStore, examples_of
from pipeline.analysis.example_comparison import EVERY_CONDITION, Comparison, Side, compare, read_pair
from pipeline.tasks import all_target_ids, display_name

#: Attribute names as the page shows them.
ATTRIBUTE_NAMES = {"tokens": "length (sub-word tokens)", "words": "length (words)", "answer_words": "answer length",
                   "entity_length": "longest entity", "n_entities": "number of entities",
                   "entity_types": "entity types", "label": "gold label", "script": "script",
                   "perturbation": "perturbation"}


def _stamp(store: ExampleStore, task: str, *runs: str) -> tuple[float, ...]:
    """Cache key part that changes when a run's examples are written again."""
    return tuple(store.path(run, task).stat().st_mtime for run in runs)


@st.cache_data(show_spinner=False, max_entries=32)
def stored_conditions(root: str, stamp: tuple, run: str, task: str) -> pd.DataFrame:
    return ExampleStore(root).conditions(run, task)


@st.cache_data(show_spinner="Reading the examples…", max_entries=16)
def paired_examples(root: str, stamp: tuple, task: str, a: tuple[str, str], b: tuple[str, str],
                    language: str) -> pd.DataFrame:
    return read_pair(ExampleStore(root), task, Side(*a), Side(*b), [language])


@st.cache_data(show_spinner="Comparing the two conditions…", max_entries=16)
def comparison(root: str, stamp: tuple, task: str, a: tuple[str, str], b: tuple[str, str], language: str,
               attribute: str) -> Comparison:
    return compare(ExampleStore(root), task, Side(*a), Side(*b), language, attribute,
                   paired=paired_examples(root, stamp, task, a, b, language))


def condition_name(perturbation: str) -> str:
    return {"none": "clean inputs", EVERY_CONDITION: "every condition (paired within each)"}.get(perturbation,
                                                                                               perturbation)


start_page("Examples", "Two prediction sets on the same examples — a run against its baseline, two models, or "
           "clean against perturbed inputs: which examples flipped (wrong→right, right→wrong) with McNemar's test, "
           "each condition's score and the gain A − B per bucket with 95% paired bootstrap intervals, the gain "
           "per bucket across languages, and the examples themselves. Data: per-example predictions that "
           "pipeline runs keep beside the store.")
scope = current_scope()
store = examples_of(get_store())
index = store.index()
ids = index["run_id"].unique()
# The first stored row of each run with examples describes it; nothing else is read.
described = scope.first_rows(("run_id",), scope.narrowed(run_id=ids)) if len(ids) else scope.rows(limit=0)
catalogue = run_catalogue(described, index)
catalogue = catalogue[catalogue["run_id"].isin(described["run_id"])]
if catalogue.empty:
    st.info("No run in this selection has stored examples. Pipeline runs keep their per-example predictions "
            "(`python -m pipeline run CONFIG`, or the Runs page); `data/configs/tiny-cpu.yaml` is a CPU demo on a "
            "tiny test model (its results are test artefacts: turn on *Include test artefacts* in the sidebar).")
    finish_page([])
    st.stop()

tasks = [t for t in all_target_ids() if t in set(catalogue["task_id"])]
task = url_selectbox("Target task", tasks, key="ex_task", format_func=display_name)
runs = catalogue[catalogue["task_id"] == task]
labels = dict(zip(runs["run_id"], runs["label"]))
trained = runs.loc[runs["intermediate_task"] != "none", "run_id"]
left, right = st.columns(2)
run_a = url_selectbox("A: run", list(labels), key="ex_a", container=left, format_func=labels.get,
                      default=trained.iloc[0] if len(trained) else None)
conditions_a = stored_conditions(str(store.root), _stamp(store, task, run_a), run_a, task)
perturbations = sorted(set(conditions_a["perturbation"]), key=lambda p: (p != "none", p))
every = [EVERY_CONDITION] if len(perturbations) > 1 else []
perturbation_a = url_selectbox("A: evaluation condition", [*perturbations, *every], key="ex_pa", container=left,
                               format_func=condition_name)
run_b = url_selectbox("B (reference): run", list(labels), key="ex_b", container=right, format_func=labels.get,
                      default=reference_run(runs, run_a) or run_a,
                      help="Defaults to A's baseline run; pick A's own run to compare two of its conditions.")
conditions_b = stored_conditions(str(store.root), _stamp(store, task, run_b), run_b, task)
options_b = ([EVERY_CONDITION] if perturbation_a == EVERY_CONDITION else
             sorted(set(conditions_b["perturbation"]), key=lambda p: (p != "none", p)))
perturbation_b = url_selectbox("B: evaluation condition", options_b, key="ex_pb", container=right,
                               format_func=condition_name)
languages = sorted(set(conditions_a["language"]) & set(conditions_b["language"]))
if not languages:
    st.info("The two runs share no language of this task.")
    finish_page([])
    st.stop()
left, right = st.columns(2)
language = url_selectbox("Language", languages, key="ex_lang", container=left)
chosen_rows = scope.rows(scope.narrowed(run_id=[run_a, run_b], target_task=[task]))
warn_if_test_artifacts(chosen_rows)

a, b = (run_a, perturbation_a), (run_b, perturbation_b)
root, stamp = str(store.root), _stamp(store, task, run_a, run_b)
try:
    paired = paired_examples(root, stamp, task, a, b, language)
except ExamplesError as exc:
    st.error(str(exc))
    st.stop()
attributes = available_attributes(paired)
attribute = url_selectbox("Bucket by", attributes, key="ex_bucket", container=right,
                          default=ATTRIBUTE_ALIASES["length"] if "tokens" in attributes else "words",
                          format_func=lambda x: ATTRIBUTE_NAMES.get(x, x))
result = comparison(root, stamp, task, a, b, language, attribute)

overall = result.buckets.set_index("bucket").loc["all"]
metric = result.metric
columns = st.columns(4)
columns[0].metric(f"A {metric}", f"{overall['score_a']:.1f}")
columns[1].metric(f"B {metric}", f"{overall['score_b']:.1f}")
columns[2].metric("gain A − B", f"{overall['gain']:+.1f}",
                  help=f"95% paired bootstrap interval {overall['gain_low']:+.1f} to {overall['gain_high']:+.1f}")
columns[3].metric("paired examples", f"{len(result.paired):,}")
test = result.test
show_table(result.flips.rename(columns={"share": "share (%)"}), name=f"flips-{task}-{language}", key="ex_flips",
           title=f"Flips, {display_name(task)} {language}", index=False,
           caption=f"McNemar ({test.method}): {test.wrong_to_right} wrong→right vs {test.right_to_wrong} "
                   f"right→wrong, p = {test.p_value:.3g}. A: {labels[run_a]}, {condition_name(perturbation_a)}; "
                   f"B: {labels[run_b]}, {condition_name(perturbation_b)}.")

buckets = result.buckets
name = ATTRIBUTE_NAMES.get(result.attribute, result.attribute)
figure = go.Figure(go.Bar(
    x=buckets["bucket"], y=buckets["gain"], customdata=buckets[["n", "gain_low", "gain_high"]],
    error_y={"type": "data", "symmetric": False, "array": buckets["gain_high"] - buckets["gain"],
             "arrayminus": buckets["gain"] - buckets["gain_low"]},
    hovertemplate="%{x}: gain %{y:+.1f} [%{customdata[1]:+.1f}, %{customdata[2]:+.1f}] (n=%{customdata[0]})"
                  "<extra></extra>"))
figure.update_layout(xaxis_title=name, yaxis_title=f"gain A − B ({metric})", height=380)
show_chart(figure, name=f"gain-by-{result.attribute}-{task}-{language}", key="ex_gain_chart",
           title=f"Gain by {name}, {display_name(task)} {language}",
           caption="Bars: gain per bucket; whiskers: 95% paired bootstrap intervals (examples resampled, the same "
                   "for both conditions).")
show_table(buckets, name=f"buckets-{result.attribute}-{task}-{language}", key="ex_buckets", index=False,
           title=f"{metric} by {name}, {display_name(task)} {language}",
           caption="score_a / score_b with their intervals (a_low…a_high, b_low…b_high), gain = A − B with its "
                   "interval, flips and McNemar's p per bucket; numeric buckets are quartiles over every language.")

heat = result.by_language.pivot(index="bucket", columns="language", values="gain")
counts = result.by_language.pivot(index="bucket", columns="language", values="n").reindex_like(heat)
limit = float(abs(heat.to_numpy()).max()) if heat.notna().any().any() else 1.0
figure = go.Figure(go.Heatmap(
    z=heat.to_numpy(), x=list(heat.columns), y=[str(i) for i in heat.index], customdata=counts.to_numpy(),
    colorscale="RdBu", zmid=0, zmin=-limit, zmax=limit, colorbar={"title": "gain"},
    hovertemplate="%{x}, %{y}: gain %{z:+.1f} (n=%{customdata})<extra></extra>"))
figure.update_layout(xaxis_title="language", yaxis_title=name, height=120 + 40 * len(heat))
show_chart(figure, name=f"gain-heatmap-{result.attribute}-{task}", key="ex_heatmap",
           title=f"Gain by {name} and language, {display_name(task)}",
           caption="Point estimates per bucket and language (hover: n); intervals for one language are above.")

st.subheader("The examples")
left, middle, right = st.columns(3)
flips = url_multiselect("Flips", list(FLIPS), key="ex_flip", container=left, placeholder="All")
chosen_buckets = url_multiselect("Buckets", [b for b in buckets["bucket"] if b != "all"], key="ex_in",
                                 container=middle, placeholder="All")
search = right.text_input("Text contains", key="ex_search", placeholder="input, gold or prediction")
shown = filter_examples(result.paired, flips, result.attribute, chosen_buckets, result.edges, search)
show_table(example_table(shown, result.attribute, result.edges), name=f"examples-{task}-{language}",
           key="ex_examples", index=False, title=f"Examples, {display_name(task)} {language}",
           caption=f"{len(shown):,} of {len(result.paired):,} paired examples; B's input, gold and attributes, both "
                   "predictions and scores (QA: token F1; tagging: right = every tag of the sentence).")
finish_page(sources_of(chosen_rows["provenance"]))

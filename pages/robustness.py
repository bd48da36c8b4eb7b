"""Robustness: does intermediate training on non-English data make transfer more robust to perturbed input?"""

from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from pages._common import current_scope, sources_of, warn_if_test_artifacts
from pages._view import finish_page, show_chart, show_table, start_page, url_multiselect, url_selectbox
from pipeline.analysis.robustness import compare_training_languages, perturbations_by_name, robustness_drops
from pipeline.perturb import CLEAN, PERTURBATIONS
from pipeline.presentation.palette import colour_map
from pipeline.tasks import BASELINE, LANGUAGE_MEAN, all_target_ids, display_name

REPO = Path(__file__).resolve().parents[1]
#: The example config that asks this question of a GPU (see the message shown without perturbed rows).
CONFIG = "data/configs/robustness.yaml"


def drops_and_differences(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    drops = robustness_drops(rows)
    return drops, compare_training_languages(drops)


#: What the "Trained model" selector picks: one trained model in one split and setting.
TRAINED = ("model", "intermediate_task", "mlm_cotraining", "split", "setting")


def model_label(row: pd.Series) -> str:
    task = "no intermediate task" if row["intermediate_task"] == BASELINE else display_name(row["intermediate_task"])
    mlm = " + MLM" if row["mlm_cotraining"] else ""
    return f"{row['model']} · {task}{mlm} · {row['split']} · {row['setting']}"


def set_order(languages: str) -> tuple[bool, int, str]:
    """English first, then the other sets from the fewest languages to the most."""
    return languages != "en", languages.count(","), languages


def wide(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """(language, strength) × intermediate-language set."""
    pivot = table.pivot_table(index=["language", "strength"], columns="intermediate_languages", values=column,
                              aggfunc="first", sort=True, dropna=False)
    return pivot[sorted(pivot.columns, key=set_order)]


start_page("Robustness", "Robustness drop (perturbed − clean score of the same trained model; negative = the "
           "perturbation hurts) per target language and perturbation strength, with 95% intervals over seeds "
           "(paired by seed), for English intermediate training side by side with non-English and multi-language "
           "intermediate training; below, the difference of drops (other − English: positive = more robust). "
           "Data: pipeline runs that evaluate every target language clean and perturbed.")
scope = current_scope()
per_language = scope.where.dropping(language=[LANGUAGE_MEAN])
perturbed_tasks = set(scope.values("target_task", per_language.dropping(perturbation=[CLEAN])))
if not perturbed_tasks:
    how = (f"`python -m pipeline run {CONFIG}` produces them on a GPU (XLM-R Large); "
           "`python -m pipeline run data/configs/tiny-robustness.yaml` is a CPU demo on a tiny test model."
           if (REPO / CONFIG).exists() else
           "Rows in this schema can be imported with `python -m pipeline import FILE.csv`.")
    st.info("No perturbed evaluations in this selection: the published results are all on clean inputs. This view "
            "needs a pipeline run that evaluates every target language clean and perturbed (rows with "
            "`perturbation = <name>@<strength>`, e.g. `char_noise@0.1`), after English and after non-English or "
            f"multi-language intermediate training. {how} Perturbations: {', '.join(PERTURBATIONS)}.")
    st.stop()

left, middle, right = st.columns(3)
tasks = [t for t in all_target_ids() if t in perturbed_tasks]
task = url_selectbox("Target task", tasks, key="rb_task", container=left, format_func=display_name)
of_task = per_language.keeping(target_task=[task])
perturbed = of_task.dropping(perturbation=[CLEAN])
metric = url_selectbox("Metric", scope.values("metric", perturbed), key="rb_metric", container=middle)
perturbed = perturbed.keeping(metric=[metric])
strengths_of = perturbations_by_name(scope.values("perturbation", perturbed))
perturbation = url_selectbox("Perturbation", sorted(strengths_of), key="rb_perturbation",
                             container=right, help="; ".join(f"{p.name}: {p.description}" for p in
                                                             PERTURBATIONS.values()))
trained = scope.distinct(TRAINED, perturbed.keeping(perturbation=strengths_of[perturbation]))
labels = dict(zip(trained.apply(model_label, axis=1), trained.to_dict("records")))
left, right = st.columns([2, 1])
models = sorted(labels, key=lambda label: ("no intermediate task" in label, label))
condition = url_selectbox("Trained model", models, key="rb_model", container=left)
# Drops and their intervals for the chosen trained model only (every intermediate-language set of it, for the
# comparison below): what is shown, not every model of the task.
of_model = of_task.keeping(metric=[metric], perturbation=[CLEAN, *strengths_of[perturbation]],
                           **{column: [value] for column, value in labels[condition].items()})
with st.spinner("Computing robustness drops and their intervals…"):
    drops, differences = scope.analysed(drops_and_differences, of_model)
strengths = sorted(drops["strength"].unique())
chosen = url_multiselect("Strengths", strengths, key="rb_strength", container=right,
                         placeholder=f"All ({len(strengths)})")
drops = drops[drops["strength"].isin(chosen or strengths)]
warn_if_test_artifacts(scope.distinct(("test_artifact",), of_model))

if drops["drop"].isna().all():
    st.info("These perturbed evaluations have no clean evaluation of the same trained model and cell to compare "
            "with; a drop needs both (the pipeline writes them together).")
    st.stop()
if perturbation in PERTURBATIONS:
    st.caption(f"{perturbation}: {PERTURBATIONS[perturbation].description}.")
sets = sorted(drops["intermediate_languages"].unique(), key=set_order)
plotted = drops.dropna(subset=["drop"]).assign(
    strength_label="strength " + drops["strength"].astype(str),
    plus=lambda t: (t["ci_high"] - t["drop"]).fillna(0), minus=lambda t: (t["drop"] - t["ci_low"]).fillna(0),
    trained_on=lambda t: t["intermediate_languages"] + " (" + t["training_languages"] + ")")
figure = px.bar(plotted, x="language", y="drop", color="intermediate_languages", barmode="group",
                facet_col="strength_label", error_y="plus", error_y_minus="minus",
                category_orders={"intermediate_languages": sets, "strength_label": sorted(
                    plotted["strength_label"].unique(), key=lambda s: float(s.split()[-1]))},
                color_discrete_map=colour_map("language", sets),
                hover_data={"trained_on": True, "n": True, "ci_method": True, "ci_note": True, "plus": False,
                            "minus": False, "strength_label": False},
                labels={"drop": "perturbed − clean", "intermediate_languages": "intermediate languages"})
figure.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
figure.update_layout(margin={"t": 30})
title = f"Robustness drop: {display_name(task)} {metric}, {perturbation}, {condition}"
show_chart(figure, name=f"robustness-{task}-{perturbation}", key="rb_chart", title=title,
           caption="Bars: mean drop over seeds; whiskers: 95% interval (paired t on per-seed drops when clean and "
                   "perturbed share their seeds; none with one seed).")
show_table(wide(drops, "drop"), name=f"robustness-{task}-{perturbation}-drops", key="rb_drops",
           title=f"Drops: {title}", caption="Drop ± half its 95% interval (n = seeds), per intermediate-language set.",
           ci=(wide(drops, "ci_high") - wide(drops, "ci_low")) / 2, n=wide(drops, "n"), signed=True)

st.subheader("Other intermediate languages vs English")
differences = differences[differences["perturbation"].isin(drops["perturbation"])]
if differences.empty or differences["difference"].isna().all():
    st.info("No comparison: it needs the same intermediate task trained on English alone and on at least one other "
            "language set, each evaluated clean and perturbed.")
else:
    show_table(wide(differences, "difference"), name=f"robustness-{task}-{perturbation}-differences",
               key="rb_differences", title=f"Difference of drops (other − English): {title}",
               caption="Drop after training on the column's languages minus the drop after English-only training; "
                       "positive = loses less under the perturbation. ± half the 95% interval (n = seeds; paired "
                       "when both were trained with the same seeds).",
               ci=(wide(differences, "ci_high") - wide(differences, "ci_low")) / 2, n=wide(differences, "n"),
               signed=True)
notes = sorted({n for n in drops["ci_note"] if n})
if notes:
    st.caption("Notes: " + "; ".join(notes) + ".")
finish_page(sources_of(scope.distinct(("provenance",), of_model)["provenance"]))

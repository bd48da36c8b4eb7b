"""Typology: does transfer get worse with the target language's URIEL distance from the source language?"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages import _typology_models as models
from pages._common import current_scope, input_condition, per_language_slice, sources_of, warn_if_test_artifacts
from pages._view import finish_page, show_chart, show_table, start_page, url_radio, url_selectbox
from pipeline.analysis.correlation import (
    AGGREGATIONS,
    MEASURES,
    METHODS,
    correlate_languages,
    correlation_grid,
    fit_line,
    grid_cells,
    partial_correlate_languages,
    per_language,
    scatter_points,
    source_distances,
    values_by_task,
)
from pipeline.analysis.gains import with_gains, with_transfer_gap
from pipeline.analysis.stats import CORRECTIONS
from pipeline.analysis.tables import task_metric
from pipeline.presentation.palette import COLOURS, DIVERGING
from pipeline.tasks import BASELINE, all_target_ids, display_name, target_tasks
from pipeline.typology import DISTANCE_TYPES, LANGUAGES, SOURCES, distance_table
from pipeline.typology.pretraining import corpus_of, pretraining_sizes

MEASURE_LABELS = {"transfer_gap": "Transfer gap (source − language)", "gain": "Gain from intermediate training"}
MEASURE_NAMES = {"transfer_gap": "transfer gap", "gain": "gain"}
METHOD_LABELS = {"pearson": "Pearson r", "spearman": "Spearman ρ", "kendall": "Kendall τ"}
CORRECTION_LABELS = {"holm": "Holm (family-wise error)", "bh": "Benjamini–Hochberg (false discovery rate)"}
SOURCE_CITATIONS = {
    "lang2vec": "URIEL via lang2vec 1.1.2 (Littell et al. 2017, EACL); distances: pipeline/typology/lang2vec_source.py",
    "urielplus": "URIEL+ via urielplus 1.3.2 (Khan et al. 2025, COLING); distances: pipeline/typology/urielplus_source.py",
}
ALPHA = 0.05
DIMMED = 0.3


def intermediate_key(rows: pd.DataFrame) -> pd.Series:
    """One URL-safe label per intermediate condition: ``task@languages`` plus ``+mlm`` with MLM co-training."""
    return rows["intermediate_task"] + "@" + rows["intermediate_languages"] + rows["mlm_cotraining"].map(
        {True: "+mlm", False: ""})


def intermediate_label(key: str) -> str:
    task, rest = key.split("@", 1)
    languages, _, mlm = rest.partition("+")
    return f"{display_name(task)} ({languages}){' + MLM' if mlm else ''}"


def condition_values(scope: pd.DataFrame, measure: str, condition: str, task: str, metric: str,
                     source_languages: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame]:
    """The condition's rows (with gains and, for the gap, transfer gaps), the metric used per task and
    every task's values of them."""
    enriched = with_gains(scope)
    if measure == "transfer_gap":
        enriched = with_transfer_gap(enriched, ",".join(source_languages))
    chosen = enriched[intermediate_key(enriched) == condition]
    metrics = {t: metric if t == task else task_metric(t, metric) for t in chosen["target_task"].unique()}
    return chosen, metrics, values_by_task(chosen, measure, metrics, list(source_languages))


def choose(label: str, options: list, key: str, default: object, container: object = st) -> object:
    """A URL-bound selectbox, drawn only when there is a choice to make."""
    return url_selectbox(label, options, key=key, default=default, container=container) if len(options) > 1 \
        else options[0]


def covariate_label(key: str, task: str, metric: str) -> str:
    """``distance:<type>``, ``size:<model>`` (its pretraining corpus) or ``score:<model>`` (that model's baseline
    score on the task) for a person."""
    kind, _, name = key.partition(":")
    if kind == "distance":
        return f"{name} distance"
    if kind == "size":
        return f"log {corpus_of(name).name} size (the pretraining data of {name})"
    if kind == "score":
        return f"{display_name(task)} {metric} of {name} without intermediate training"
    return "none"


def rounded(table: pd.DataFrame) -> pd.DataFrame:
    """Coefficients to 3 decimals, p-values to 3 significant digits (so a tiny p does not read as 0)."""
    p_columns = [c for c in ("p_value", "p_adjusted") if c in table.columns]
    shown = table.round({c: 3 for c in ("coefficient", "ci_low", "ci_high")})
    return shown.assign(**{c: shown[c].map(lambda v: float(f"{v:.3g}")) for c in p_columns})


def grid_pivot(cells: pd.DataFrame, column: str) -> pd.DataFrame:
    """Target tasks (registry order) × distance types of one column of the grid's cells."""
    wide = cells.pivot(index="target_task", columns="distance_type", values=column)
    return wide.reindex(index=[t for t in all_target_ids() if t in wide.index],
                        columns=[t for t in DISTANCE_TYPES if t in wide.columns])


@st.cache_data(show_spinner="Reading the distance table…", max_entries=8)
def distances(languages: tuple[str, ...], source: str) -> pd.DataFrame:
    return distance_table(languages, DISTANCE_TYPES, source)


@st.cache_data(show_spinner="Correlating every task with every distance type…", max_entries=16)
def grid_of(values: pd.DataFrame, distance_long: pd.DataFrame, correction: str, value_name: str) -> pd.DataFrame:
    return correlation_grid(values, distance_long, ["target_task"], correction=correction, value_name=value_name)


start_page("Typology", "One point per target language: its URIEL distance to the source language (x) against its "
           "transfer gap or its gain from intermediate training (y), with Pearson, Spearman and Kendall "
           "coefficients and 95% intervals (Lauscher et al. 2020; LangRank, Lin et al. 2019). Below four "
           "languages there is no coefficient.")
filtered = current_scope()
measured = per_language_slice(filtered)

left, middle, right = st.columns(3)
present = set(filtered.values("target_task", measured))
tasks = [t for t in all_target_ids() if t in present]
task = url_selectbox("Target task", tasks, key="typ_task", default="xnli", container=left, format_func=display_name)
of_task = measured.keeping(target_task=[task])
model = url_selectbox("Model", filtered.values("model", of_task), key="typ_model", default="xlm-roberta-large",
                      container=middle)
of_task = of_task.keeping(model=[model])
setting = url_selectbox("Setting", filtered.values("setting", of_task), key="typ_setting", default="zero-shot",
                        container=right)
of_task = of_task.keeping(setting=[setting])
split = choose("Split", filtered.values("split", of_task), "typ_split", "test", left)
perturbation = input_condition(filtered, of_task, middle)
of_scope = measured.keeping(model=[model], setting=[setting], split=[split], perturbation=[perturbation])
scope = filtered.rows(of_scope)
of_task = scope[scope["target_task"] == task]

left, middle, right = st.columns(3)
measure = url_radio("Relate distance to", list(MEASURES), key="typ_measure", container=left, horizontal=True,
                    format_func=MEASURE_LABELS.get)
conditions = intermediate_key(of_task)
options = sorted(conditions.unique(), key=lambda k: (not k.startswith(f"{BASELINE}@"), k))
if measure == "gain":
    options = [k for k in options if not k.startswith(f"{BASELINE}@")]
if not options:
    st.info(f"No per-language {display_name(task)} results of {model} after intermediate training in this selection, "
            "so there is no gain to relate to distance (the shipped published per-language numbers are all "
            "baselines). Relate distance to the transfer gap instead, or run the pipeline with an intermediate task.")
    st.stop()
condition = url_selectbox("Intermediate task", options, key="typ_inter", container=middle,
                          format_func=intermediate_label)
task_info = target_tasks()[task]
metric = url_selectbox("Metric", sorted(of_task["metric"].unique()), key="typ_metric", default=task_info.primary,
                       container=right)

left, middle, right = st.columns(3)
trained_on = condition.split("@", 1)[1].split("+")[0].split(",")
untyped = [c for c in trained_on if c not in LANGUAGES]
if untyped:
    st.caption(f"No typological data for the intermediate language(s) {', '.join(untyped)}: not offered as source.")
source_options = [c for c in dict.fromkeys(["en", *trained_on]) if c in LANGUAGES]
if measure == "gain" and len(trained_on) > 1 and not untyped:
    source_options.append(",".join(trained_on))
source_language = url_selectbox(
    "Source language", source_options, key="typ_source_lang", default="en", container=left,
    format_func=lambda c: " + ".join(LANGUAGES[p].name for p in c.split(",")),
    help="English, the language the target task is trained in; or a language of the intermediate training.",
)
source_languages = source_language.split(",")
how = "mean"
if len(source_languages) > 1:
    how = url_radio("Distance to several source languages", list(AGGREGATIONS), key="typ_how", container=left,
                    horizontal=True, format_func={"mean": "mean", "min": "nearest"}.get)
distance_source = url_radio("Distance source", list(SOURCES), key="typ_source", container=middle, horizontal=True,
                            help="lang2vec: URIEL, kNN-imputed (as in the literature). urielplus: URIEL+, observed "
                                 "values only. See pipeline/typology/AGREEMENT.md for how far they agree.")
distance_type = url_selectbox("Distance", list(DISTANCE_TYPES), key="typ_distance", default="syntactic",
                              container=right)

languages = tuple(sorted(set(scope["language"].unique()) | set(source_languages)))
distance_long = source_distances(distances(languages, distance_source), source_languages, distance_source, how)

chosen, metrics, all_values = filtered.analysed(condition_values, of_scope, measure, condition, task, metric,
                                                tuple(source_languages))
values = all_values.loc[all_values["target_task"] == task, ["language", "value"]]
warn_if_test_artifacts(chosen[chosen["target_task"] == task])
if values.empty:
    reason = (f"these results have no {source_language} score, which the gap is measured from"
              if measure == "transfer_gap" else "no baseline (no intermediate task) matches these results")
    st.info(f"{MEASURE_LABELS[measure]} is not available for {display_name(task)}: {reason}.")
    st.stop()

measure_label = MEASURE_LABELS[measure].replace("source", source_language)
distance_label = f"{distance_type} distance to {source_language.replace(',', '+')} ({distance_source})"
of_type = distance_long[distance_long["distance_type"] == distance_type]
points = scatter_points(values, of_type)
unmeasured = points[points["distance"].isna()]
if not unmeasured.empty:
    st.info(f"{distance_source} has no {distance_type} distance between {source_language} and "
            f"{', '.join(unmeasured['name'] + ' (' + unmeasured['language'] + ')')}: left out.")
points = points.dropna(subset=["distance"])
result = correlate_languages(values, of_type, names=(f"{distance_type} distance", MEASURE_NAMES[measure]))

title = f"{display_name(task)} · {model} · {setting} · {intermediate_label(condition)}: {distance_label}"
st.subheader(f"{MEASURE_NAMES[measure].capitalize()} vs {distance_type} distance")
colour_by = url_radio("Colour by", ["family", "script"], key="typ_colour", horizontal=True)
palette = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(sorted(points[colour_by].unique()))}
scatter = go.Figure()
if result.ok:
    band = fit_line(points["distance"], points["value"])
    scatter.add_trace(go.Scatter(x=[*band["x"], *band["x"][::-1]], y=[*band["high"], *band["low"][::-1]],
                                 fill="toself", fillcolor="rgba(120,120,120,0.18)", line={"width": 0},
                                 hoverinfo="skip", name="95% band of the fit"))
    scatter.add_trace(go.Scatter(x=band["x"], y=band["fit"], mode="lines", line={"color": "#555555"},
                                 name="least-squares fit", hoverinfo="skip"))
for group, part in points.groupby(colour_by, sort=True):
    scatter.add_trace(go.Scatter(
        x=part["distance"], y=part["value"], mode="markers+text", text=part["language"], name=group,
        textposition="top center", marker={"size": 11, "color": palette[group]},
        customdata=part[["name", "family", "script"]].to_numpy(),
        hovertemplate="%{customdata[0]} (%{text})<br>%{customdata[1]} · %{customdata[2]}<br>"
                      "distance %{x:.3f}<br>%{y:.2f}<extra></extra>",
    ))
scatter.update_layout(xaxis_title=distance_label, yaxis_title=f"{measure_label} ({metric})", height=480,
                      margin={"t": 10}, legend_title_text=colour_by)
show_chart(scatter, name=f"typology-{task}-{distance_type}-{measure}", key="typ_scatter", title=title)

baselines = filtered.rows(measured.keeping(target_task=[task], setting=[setting], split=[split],
                                               perturbation=[perturbation], metric=[metric],
                                               intermediate_task=[BASELINE]))
# The gap of a baseline is English minus its own score: controlling for that score would be circular.
circular = measure == "transfer_gap" and condition.startswith(f"{BASELINE}@")
covariates = [
    "none",
    *(f"distance:{t}" for t in DISTANCE_TYPES if t != distance_type),
    *([f"size:{model}"] if corpus_of(model) else []),
    *(f"score:{m}" for m in sorted(baselines["model"].unique()) if not (circular and m == model)),
]


covariate = url_selectbox("Partial correlation controlling for", covariates, key="typ_covariate",
                          format_func=lambda k: covariate_label(k, task, metric),
                          help="Another distance, the log size of each language in the model's pretraining corpus, "
                               "or a per-language score from the store (e.g. the baseline, or a smaller model's score "
                               "as a proxy for how well-resourced a language is).")
if not result.ok:
    st.info(f"No correlation for {display_name(task)}: {result.refused}.")
else:
    table = result.table
    if covariate != "none":
        kind, _, name = covariate.partition(":")
        if kind == "distance":
            cov = distance_long[distance_long["distance_type"] == name][["language", "distance"]]
        elif kind == "size":
            cov = pretraining_sizes(name)[["language", "log_size"]]
        else:
            cov = per_language(baselines[baselines["model"] == name])
        partial = partial_correlate_languages(
            values, of_type, cov.set_axis(["language", "covariate"], axis=1),
            names=(f"{distance_type} distance", MEASURE_NAMES[measure], covariate_label(covariate, task, metric)),
        )
        if partial.ok:
            table = pd.concat([table, partial.table], ignore_index=True)
        else:
            st.info(f"No partial correlation: {partial.refused}.")
    show_table(rounded(table), name=f"typology-{task}-{distance_type}-{measure}-correlations", key="typ_correlations",
               title=f"Correlations: {title}", index=False, digits=3,
               caption="Pearson: Fisher-z interval, t-test p. Spearman, Kendall: bootstrap interval over languages "
                       "(2,000 resamples, seeded), scipy's p. Partial: residuals after a linear fit on the covariate "
                       "(on ranks for Spearman), Fisher-z interval. Not corrected for the other tests on this page.")

st.subheader("Every distance type × every target task")
left, right = st.columns(2)
method = url_radio("Coefficient", list(METHODS), key="typ_method", container=left, horizontal=True,
                   format_func=METHOD_LABELS.get)
correction = url_radio("Correction over the grid", list(CORRECTIONS), key="typ_correction", container=right,
                       horizontal=True, format_func=CORRECTION_LABELS.get)
grid = grid_of(all_values, distance_long.dropna(subset=["distance"]), correction, MEASURE_NAMES[measure])
cells = grid_cells(grid, method, ALPHA)


coefficient, significant = grid_pivot(cells, "coefficient"), grid_pivot(cells, "significant").eq(True)
why = cells.assign(h=cells.apply(
    lambda c: c["refused"] if isinstance(c["refused"], str) else
    f"{c['coefficient']:+.2f} [{c['ci_low']:+.2f}, {c['ci_high']:+.2f}], n={c['n']:.0f}<br>"
    f"p={c['p_value']:.3g}, adjusted p={c['p_adjusted']:.3g}", axis=1))
hover = why.pivot(index="target_task", columns="distance_type", values="h").reindex_like(coefficient)
# Three layers: significant after correction, dimmed (not significant), grey (refused: too few languages).
layer = significant.map(lambda s: "kept" if s else "dimmed").where(coefficient.notna(), "refused")
text = coefficient.map(lambda v: "–" if pd.isna(v) else f"{v:+.2f}") + significant.map(lambda s: "*" if s else "")
heatmap = go.Figure()
for name, opacity in (("kept", 1.0), ("dimmed", DIMMED), ("refused", 1.0)):
    shown = layer == name
    refused = name == "refused"
    heatmap.add_trace(go.Heatmap(
        z=(shown.astype(float) if refused else coefficient).where(shown).to_numpy(), x=list(coefficient.columns),
        y=[display_name(t) for t in coefficient.index], text=text.where(shown, "").to_numpy(),
        texttemplate="%{text}", customdata=hover.to_numpy(), opacity=opacity,
        hovertemplate="%{y} · %{x}<br>%{customdata}<extra></extra>",
        colorscale=[[0, "#eeeeee"], [1, "#eeeeee"]] if refused else DIVERGING, zmin=-1, zmax=1,
        showscale=name == "kept", colorbar={"title": METHOD_LABELS[method]},
        textfont=None if name == "kept" else {"color": "#333333"},
    ))
heatmap.update_layout(height=90 + 50 * len(coefficient), margin={"t": 10, "b": 10}, yaxis={"autorange": "reversed"},
                      xaxis={"side": "top"})
n_tests = int(cells["p_value"].notna().sum())
grid_title = (f"{METHOD_LABELS[method]} per target task and distance type · {model} · {setting} · "
              f"{intermediate_label(condition)} · {measure_label}")
show_chart(heatmap, name=f"typology-grid-{measure}-{method}", key="typ_grid_chart", title=grid_title,
           caption=f"\\* adjusted p < {ALPHA} ({CORRECTION_LABELS[correction]} over the {n_tests} tests of this "
                   f"coefficient); other cells are dimmed; – too few languages (hover for why). Each task's "
                   f"metric: {', '.join(f'{display_name(t)} {m}' for t, m in metrics.items())}.")
show_table(cells[["target_task", "distance_type", "method", "coefficient", "ci_low", "ci_high", "p_value",
                  "p_adjusted", "significant", "n", "refused"]].pipe(rounded),
           name=f"typology-grid-{measure}-{method}", key="typ_grid", title=grid_title, index=False, digits=3)

st.subheader(f"Distances to {source_language.replace(',', ' + ')} ({distance_source})")
profile = distance_long.pivot(index="language", columns="distance_type", values="distance")
profile = scatter_points(values, of_type)[["language", "name", "family", "script"]].merge(
    profile[[t for t in DISTANCE_TYPES if t in profile.columns]].reset_index(), on="language")
show_table(profile.round(3), name=f"typology-distances-{distance_source}", key="typ_distances", index=False, digits=3,
           title=f"URIEL distances to {source_language} ({distance_source})",
           caption="0 = identical, 1 = nothing in common; empty = the source has no shared features for the pair.")

models.render(
    models.Selection(task, model, metric, condition.split("@", 1)[0], tuple(source_languages), distance_source, how,
                     distance_type, title),
    rows=of_task[(of_task["metric"] == metric) & ((intermediate_key(of_task) == condition)
                                                  | (of_task["intermediate_task"] == BASELINE))],
    baselines=scope[scope["intermediate_task"] == BASELINE], measure=measure,
)
finish_page([*sources_of(chosen["provenance"]), SOURCE_CITATIONS[distance_source],
             "Pretraining sizes: data/language_metadata/README.md"])

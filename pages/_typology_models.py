"""The Typology page's second half: pretraining size, several features at once, Lauscher et al.'s preset, a predictor.

Widgets and charts only; every number comes from ``pipeline.analysis`` (``correlation``, ``regression``,
``lauscher``, ``transfer_predictor``) and every size from ``pipeline.typology.pretraining``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages._view import show_chart, show_table, url_multiselect, url_radio
from pipeline.analysis.correlation import (
    correlate_languages,
    partial_correlate_languages,
    source_distances,
    values_by_task,
)
from pipeline.analysis.language_features import (
    NUMERIC_FEATURES,
    SIZE_FEATURE,
    TARGET_LABELS,
    TARGETS,
    language_frame,
    target_values,
)
from pipeline.analysis.lauscher import METHODS as LAUSCHER_METHODS
from pipeline.analysis.lauscher import lauscher_correlations
from pipeline.analysis.regression import MIN_LANGUAGES, MIN_RESIDUAL_DF, VIF_WARNING, fit_ols
from pipeline.analysis.tables import task_metric
from pipeline.analysis.transfer_predictor import PREDICTORS, PredictorReport, predict_transfer
from pipeline.presentation.palette import DIVERGING, SEQUENTIAL
from pipeline.tasks import display_name, get_target_task
from pipeline.typology import DISTANCE_TYPES, benchmark_languages, distance_table
from pipeline.typology.features import FEATURE_SETS, cosine_similarity_to
from pipeline.typology.pretraining import VARIANTS, Corpus, corpus_of, disagreements, pretraining_sizes

TARGET_OF_MEASURE = {"transfer_gap": "gap", "gain": "gain"}
PREDICTOR_LABELS = {"ridge": "ridge regression", "boosting": "gradient boosting"}
VARIANT_LABELS = {"published": "as published (corrected)", "lauscher2020": "as Lauscher et al. used them"}


@dataclass(frozen=True)
class Selection:
    """What the top of the page chose: one model, task, metric and condition, distances to the source language(s)."""

    task: str
    model: str
    metric: str
    intermediate: str
    source_languages: tuple[str, ...]
    distance_source: str
    how: str
    distance_type: str
    title: str


@st.cache_data(show_spinner="Reading the distance table…", max_entries=8)
def _distances(source_languages: tuple[str, ...], source: str, how: str) -> pd.DataFrame:
    """Distances of every benchmark language (not only the measured ones: the predictor predicts the others)."""
    return source_distances(distance_table(benchmark_languages(), DISTANCE_TYPES, source), list(source_languages),
                            source, how)


@st.cache_data(show_spinner="Fitting leave-one-language-out…", max_entries=16)
def _predict(features: pd.DataFrame, values: pd.DataFrame, target: str, predictor: str, task: str) -> PredictorReport:
    others = tuple(features["language"])
    return predict_transfer(features, values, target=target, predictor=predictor, candidates=others,
                            task_languages=get_target_task(task).languages)


@st.cache_data(show_spinner="Correlating every task with similarity and size…", max_entries=8)
def _lauscher(scores: pd.DataFrame, source: str, sizes: pd.DataFrame | None) -> pd.DataFrame:
    return lauscher_correlations(scores, lambda langs, fs: cosine_similarity_to(langs, source, fs), FEATURE_SETS,
                                 sizes)


def render(sel: Selection, rows: pd.DataFrame, baselines: pd.DataFrame, measure: str) -> None:
    """The tabs. ``rows``: this task's rows of the condition and its baseline (one metric); ``baselines``: every
    task's baseline rows of the model."""
    st.subheader("Pretraining size, several features at once, and prediction")
    corpus = corpus_of(sel.model)
    sizes = pretraining_sizes(sel.model) if corpus else None
    if corpus is None:
        st.info(f"No pretraining corpus is known for {sel.model} (known: xlm-roberta-* → CC-100, mt5-* → mC4, "
                "bert-base-multilingual-* → Wikipedia), so there is no size covariate.")
    target = url_radio("Explain", list(TARGETS), key="typ_target", default=TARGET_OF_MEASURE[measure],
                       horizontal=True, format_func=TARGET_LABELS.get)
    try:
        values = target_values(rows, target, intermediate=sel.intermediate, source_languages=sel.source_languages)
    except ValueError as exc:
        st.info(f"No {TARGET_LABELS[target]} for these results: {exc}.")
        return
    others = [c for c in benchmark_languages() if c not in sel.source_languages]
    features = language_frame(_distances(sel.source_languages, sel.distance_source, sel.how), sizes, others)
    measured = features.merge(values, on="language")
    label = f"{TARGET_LABELS[target].replace('source', '+'.join(sel.source_languages))} ({sel.metric})"
    size_tab, model_tab, lauscher_tab, predictor_tab = st.tabs(
        ["Pretraining size", "Multivariate model", "Lauscher et al. 2020", "Transfer predictor"])
    with size_tab:
        if corpus is not None:
            _size_axis(sel, corpus, measured, values, label)
    with model_tab:
        _multivariate(sel, measured, label, has_size=corpus is not None)
    with lauscher_tab:
        _lauscher_preset(sel, baselines, corpus)
    with predictor_tab:
        _predictor(sel, features, values, target, label)


def _missing_sizes(corpus: Corpus, measured: pd.DataFrame) -> None:
    missing = measured[measured[SIZE_FEATURE].isna()]
    if not missing.empty:
        st.info(f"No published {corpus.name} size for {', '.join(missing['name'] + ' (' + missing['language'] + ')')}:"
                " left out, not filled in.")


def _size_axis(sel: Selection, corpus: Corpus, measured: pd.DataFrame, values: pd.DataFrame, label: str) -> None:
    _missing_sizes(corpus, measured)
    shown = measured.dropna(subset=[SIZE_FEATURE])
    figure = go.Figure(go.Scatter(
        x=shown[SIZE_FEATURE], y=shown["value"], mode="markers+text", text=shown["language"],
        textposition="top center", customdata=shown[["name", sel.distance_type]].to_numpy(),
        marker={"size": 12, "color": shown[sel.distance_type], "colorscale": SEQUENTIAL, "showscale": True,
                "colorbar": {"title": f"{sel.distance_type}<br>distance"}},
        hovertemplate="%{customdata[0]} (%{text})<br>size %{x:.2f}<br>%{y:.2f}<br>distance %{customdata[1]:.3f}"
                      "<extra></extra>",
    ))
    figure.update_layout(xaxis_title=corpus.axis_label, yaxis_title=label, height=460, margin={"t": 10})
    show_chart(figure, name=f"typology-size-{sel.task}", key="typ_size_chart",
               title=f"{sel.title}: {label} vs {corpus.name} size",
               caption=f"Colour: {sel.distance_type} distance to {'+'.join(sel.source_languages)}. Sizes: "
                       "data/language_metadata (published numbers with sources; nothing imputed).")
    size = shown[["language", SIZE_FEATURE]].rename(columns={SIZE_FEATURE: "covariate"})
    distance = measured[["language", sel.distance_type]].rename(columns={sel.distance_type: "distance"})
    names = (f"{sel.distance_type} distance", "value", f"log {corpus.name} size")
    plain = correlate_languages(values, distance, names=names[:2])
    partial = partial_correlate_languages(values, distance, size, names=names)
    against_size = correlate_languages(values, size.rename(columns={"covariate": "distance"}),
                                       names=(names[2], "value"))
    parts = [(f"{sel.distance_type} distance", plain), (f"{sel.distance_type} distance | log {corpus.name} size",
                                                         partial), (f"log {corpus.name} size", against_size)]
    for what, result in parts:
        if not result.ok:
            st.info(f"No correlation for {what}: {result.refused}.")
    tables = [r.table.assign(relation=what) for what, r in parts if r.ok]
    if tables:
        table = pd.concat(tables, ignore_index=True)
        table = table[table["method"] != "kendall"][["relation", "method", "coefficient", "ci_low", "ci_high",
                                                     "p_value", "n"]]
        show_table(table.round({"coefficient": 3, "ci_low": 3, "ci_high": 3}),
                   name=f"typology-size-correlations-{sel.task}", key="typ_size_table", index=False, digits=3,
                   title=f"With and without controlling for {corpus.name} size: {sel.title}",
                   caption=f"Partial: the linear effect of log {corpus.name} size removed from both (on ranks for "
                           "Spearman), Fisher-z interval, n−3 degrees of freedom.")
    with st.expander(f"{corpus.name} sizes and where they come from"):
        listed = pretraining_sizes(sel.model, languages=list(measured["language"]))
        show_table(listed, name=f"pretraining-sizes-{corpus.corpus}", key="typ_size_sources", index=False, digits=2,
                   title=f"{corpus.name} sizes ({corpus.unit})")
        show_table(disagreements(sel.model), name=f"pretraining-size-disagreements-{corpus.corpus}",
                   key="typ_size_disagreements", index=False, digits=1, title="Where published sizes disagree",
                   caption="Kept, not resolved silently: the preferred value is used everywhere else on this page.")


def _multivariate(sel: Selection, measured: pd.DataFrame, label: str, has_size: bool) -> None:
    options = [f for f in NUMERIC_FEATURES if has_size or f != SIZE_FEATURE]
    default = [sel.distance_type, *([SIZE_FEATURE] if has_size else [])]
    chosen = url_multiselect("Features", options, key="typ_mv_features", default=default,
                             help="Distances to the source language and log pretraining size; everything is "
                                  "standardised, so a coefficient is SDs of the target per SD of the feature.")
    result = fit_ols(measured, "value", chosen)
    if not result.ok:
        st.info(f"No model: {result.refused}. (Needs at least {MIN_LANGUAGES} languages and {MIN_RESIDUAL_DF} more "
                "than the coefficients.)")
        return
    for warning in result.warnings:
        st.warning(f"{warning[0].upper()}{warning[1:]}.", icon="⚠️")
    coefficients = result.coefficients
    figure = go.Figure(go.Scatter(
        x=coefficients["coefficient"], y=coefficients["feature"], mode="markers",
        error_x={"type": "data", "symmetric": False, "array": coefficients["ci_high"] - coefficients["coefficient"],
                 "arrayminus": coefficients["coefficient"] - coefficients["ci_low"]},
        marker={"size": 11}, hovertemplate="%{y}: %{x:.2f}<extra></extra>",
    ))
    figure.add_vline(x=0, line={"color": "#888888", "dash": "dot"})
    figure.update_layout(xaxis_title=f"standardised coefficient on {label} (95% CI)", height=120 + 40 * len(chosen),
                         margin={"t": 10})
    title = f"{label} ~ {' + '.join(chosen)}: {sel.title}"
    show_chart(figure, name=f"typology-ols-{sel.task}", key="typ_mv_chart", title=title)
    show_table(result.summary(), name=f"typology-ols-fit-{sel.task}", key="typ_mv_fit", index=False, digits=3,
               title=f"Fit: {title}", caption="Leave-one-language-out R²: each language predicted by the model fit "
                                             "without it (PRESS); far below R², the fit does not generalise.")
    show_table(coefficients.round(3), name=f"typology-ols-{sel.task}", key="typ_mv_table", index=False, digits=3,
               title=f"Coefficients: {title}",
               caption=f"Standardised OLS; t-based 95% CIs and p-values with n−p−1 degrees of freedom; raw_coefficient "
                       f"in the original units; VIF > {VIF_WARNING:g} flags collinearity. Languages: "
                       f"{', '.join(result.languages)}.")


def _lauscher_preset(sel: Selection, baselines: pd.DataFrame, corpus: Corpus | None) -> None:
    source = sel.source_languages[0]
    st.caption(
        f"Lauscher et al. 2020 (EMNLP), as their analysis code does it: per task, Pearson and Spearman between the "
        f"zero-shot score of {sel.model} (no intermediate training) and each language's similarity to {source} — the "
        f"cosine of lang2vec vectors (syntax, phonology, inventory, family, geography; features 0, 1 or unknown for "
        f"all the task's languages and any feature unknown for one of them left out) — and its pretraining corpus "
        f"size (raw, as they used it, and log10). Unlike the rest of this page, {source} itself is included, as they "
        f"did. Their CC-100 sizes print Swedish as 77.8 M tokens; the authors later corrected it to 12,950 M.")
    variant = url_radio("Corpus sizes", list(VARIANTS), key="typ_lauscher_sizes", horizontal=True,
                        format_func=VARIANT_LABELS.get) if corpus is not None else VARIANTS[0]
    metrics = {t: sel.metric if t == sel.task else task_metric(t, sel.metric) for t in baselines["target_task"].unique()}
    scores = values_by_task(baselines, "value", metrics)
    if scores.empty:
        st.info(f"No per-language baseline scores of {sel.model} in this selection.")
        return
    sizes = pretraining_sizes(sel.model, variant=variant) if corpus is not None else None
    table = _lauscher(scores, source, sizes)
    method = url_radio("Coefficient", list(LAUSCHER_METHODS), key="typ_lauscher_method", horizontal=True,
                       format_func=str.capitalize)
    cells = table[table["method"] == method]
    wide = cells.pivot(index="target_task", columns="feature", values="coefficient").reindex(
        columns=list(dict.fromkeys(table["feature"])))
    heatmap = go.Figure(go.Heatmap(
        z=wide.to_numpy(), x=list(wide.columns), y=[display_name(t) for t in wide.index], zmin=-1, zmax=1,
        colorscale=DIVERGING, text=wide.map(lambda v: "" if pd.isna(v) else f"{v:+.2f}").to_numpy(),
        texttemplate="%{text}", colorbar={"title": method}, hovertemplate="%{y} · %{x}: %{z:.3f}<extra></extra>",
    ))
    heatmap.update_layout(height=120 + 50 * len(wide), margin={"t": 10}, yaxis={"autorange": "reversed"},
                          xaxis={"side": "top"})
    show_chart(heatmap, name=f"lauscher2020-{sel.model}-{method}", key="typ_lauscher_chart",
               title=f"Lauscher et al. 2020 preset ({method}): {sel.model}, score vs similarity to {source} and size")
    show_table(table.round({"coefficient": 3, "ci_low": 3, "ci_high": 3}), name=f"lauscher2020-{sel.model}",
               key="typ_lauscher_table", index=False, digits=3,
               title=f"Lauscher et al. 2020 preset: {sel.model}, similarity to {source} and corpus size",
               caption="Pearson: Fisher-z interval; Spearman: bootstrap interval over languages. Not corrected for "
                       "multiple comparisons (neither were theirs). Metric per task: "
                       + ", ".join(f"{display_name(t)} {m}" for t, m in metrics.items()) + ".")


def _predictor(sel: Selection, features: pd.DataFrame, values: pd.DataFrame, target: str, label: str) -> None:
    predictor = url_radio("Predictor", list(PREDICTORS), key="typ_predictor", horizontal=True,
                          format_func=PREDICTOR_LABELS.get)
    report = _predict(features, values, target, predictor, sel.task)
    measured = set(values["language"])
    left_out = [(code in measured, f"{code} ({why})") for code, why in zip(report.dropped["language"],
                                                                          report.dropped["reason"])]
    if any(m for m, _ in left_out):
        st.info(f"Measured but left out of the fit, nothing imputed: {', '.join(t for m, t in left_out if m)}.")
    if any(not m for m, _ in left_out):
        st.caption(f"No prediction, nothing imputed: {', '.join(t for m, t in left_out if not m)}.")
    if not report.ok:
        st.info(f"No predictor: {report.refused}.")
        return
    title = f"{PREDICTOR_LABELS[predictor]} predicting the {label}: {sel.title}"
    show_table(report.errors.round(3), name=f"typology-predictor-error-{sel.task}", key="typ_pred_errors",
               index=False, digits=3, title=f"Leave-one-language-out error: {title}",
               caption="Each language predicted by a model fit without it (scaling, encoding and ridge's penalty "
                       "chosen inside each fold), beside the two baselines on the same folds.")
    loo = report.loo
    low, high = float(min(loo["measured"].min(), loo["predicted"].min())), float(
        max(loo["measured"].max(), loo["predicted"].max()))
    figure = go.Figure([
        go.Scatter(x=[low, high], y=[low, high], mode="lines", line={"color": "#888888", "dash": "dot"},
                   name="predicted = measured", hoverinfo="skip"),
        go.Scatter(x=loo["measured"], y=loo["predicted"], mode="markers+text", text=loo["language"],
                   textposition="top center", marker={"size": 11}, name="languages (held out)",
                   hovertemplate="%{text}: measured %{x:.2f}, predicted %{y:.2f}<extra></extra>"),
    ])
    figure.update_layout(xaxis_title=f"measured {label}", yaxis_title="predicted without this language", height=440,
                         margin={"t": 10})
    show_chart(figure, name=f"typology-predictor-loo-{sel.task}", key="typ_pred_loo",
               title=f"Predicted vs measured: {title}")
    importances = report.importances
    bars = go.Figure(go.Bar(x=importances["importance"], y=importances["feature"], orientation="h"))
    bars.update_layout(xaxis_title=importances["kind"].iloc[0], yaxis={"autorange": "reversed"},
                       height=120 + 22 * len(importances), margin={"t": 10})
    show_chart(bars, name=f"typology-predictor-importances-{sel.task}", key="typ_pred_importances",
               title=f"Feature importances: {title}")
    predictions = report.predictions
    if predictions.empty:
        st.info("Every language with features has a measured number: nothing to predict.")
        return
    st.markdown(f"**Predictions, not measurements** — {report.confidence:.0%} jackknife+ intervals from the "
                "leave-one-out fits; `in_task`: the task's benchmark tests this language.")
    points = go.Figure(go.Scatter(
        x=predictions["language"], y=predictions["predicted"], mode="markers",
        error_y={"type": "data", "symmetric": False, "array": predictions["high"] - predictions["predicted"],
                 "arrayminus": predictions["predicted"] - predictions["low"]},
        marker={"symbol": "diamond-open", "size": 11}, name="predicted (not measured)",
        customdata=predictions["name"], hovertemplate="%{customdata}: predicted %{y:.2f}<extra></extra>",
    ))
    points.update_layout(yaxis_title=f"PREDICTED {label}", height=400, margin={"t": 10}, showlegend=True)
    show_chart(points, name=f"typology-predictions-{sel.task}", key="typ_pred_chart",
               title=f"Predicted (not measured): {title}")
    show_table(predictions.round(3), name=f"typology-predictions-{sel.task}", key="typ_pred_table", index=False,
               digits=3, title=f"Predictions (not measurements): {title}")

"""Languages in training: where do returns from more intermediate-training languages diminish?"""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages._common import current_scope, sources_of, warn_if_test_artifacts
from pages._view import finish_page, show_chart, show_table, start_page, url_radio, url_selectbox
from pipeline.analysis.saturation import (
    CURVE_KEYS,
    FORMULAS,
    N_PARAMS,
    SaturationFit,
    compare_fits,
    curves_with_several_k,
    fit_saturation,
    saturation_points,
    swept_slice,
)
from pipeline.presentation.palette import COLOURS
from pipeline.tasks import BASELINE, LANGUAGE_MEAN, display_name

REPO = Path(__file__).resolve().parents[1]
#: The example config that asks this question of a GPU (see the message shown without such runs).
CONFIG = "data/configs/intermediate-languages.yaml"
EPSILONS = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0]
FORM_CHOICES = {"both": "Both", "exponential": f"{FORMULAS['exponential']}", "power": f"{FORMULAS['power']}"}
N_BOOT = 1000
QUALITY_LABELS = {"a": "a", "b": "b", "c": "c", "r2": "R²", "aicc": "AICc", "delta_aic": "ΔAIC", "bic": "BIC",
                  "akaike_weight": "Akaike weight", "threshold": "threshold k", "threshold_low": "k low",
                  "threshold_high": "k high"}


@st.cache_data(show_spinner=False, max_entries=32)
def fitted(k: tuple[float, ...], values: tuple[float, ...], forms: tuple[str, ...]) -> list[SaturationFit]:
    """Least-squares fits with seeded bootstrap replicates (2–3 s each: cached on the points)."""
    return [fit_saturation(k, values, form, n_boot=N_BOOT) for form in forms]


def curve_label(row: pd.Series) -> str:
    mlm = " + MLM" if row["mlm_cotraining"] else ""
    perturbation = "" if row["perturbation"] == "none" else f" · {row['perturbation']}"
    return (f"{row['model']} · {display_name(row['intermediate_task'])}{mlm} → {display_name(row['target_task'])} "
            f"{row['metric']} · {row['split']} · {row['setting']}{perturbation}")


def threshold_text(row: pd.Series, epsilon: float) -> str:
    if np.isinf(row["threshold"]):
        return f"**{row['form']}**: one more language still adds ≥ {epsilon:g} points at every k up to 1000."
    interval = f"{row['threshold_low']:g} to {row['threshold_high']:g}" if np.isfinite(row["threshold_low"]) else "none"
    return (f"**{row['form']}** ({row['formula']}): from k = {row['threshold']:g} on, one more language adds less "
            f"than {epsilon:g} points (95% bootstrap interval {interval}).")


start_page("Languages in training", "Zero-shot score (y; mean over the target languages, or one language) against "
           "the number k of languages the intermediate task was trained on (x), one point per run and seed, with "
           "least-squares fits of a − b·exp(−c·k) and a − b·k^(−c), 95% seeded-bootstrap bands, fit quality "
           "(R², AICc, BIC, Akaike weights) and the k from which one more language adds less than ε points. Data: "
           "pipeline runs whose intermediate conditions train one task on nested language sets.")
scope = current_scope()
swept = scope.summarised(swept_slice, scope.where.dropping(intermediate_task=[BASELINE], language=[LANGUAGE_MEAN]))
trained = scope.rows(swept)
points = curves_with_several_k(scope.analysed(saturation_points, swept))
if points.empty:
    how = (f"`python -m pipeline run {CONFIG}` produces them on a GPU (XLM-R Large, an "
           "`intermediate_language_sweep` over XNLI translate-train languages); "
           "`python -m pipeline run data/configs/tiny-intermediate-languages.yaml` is a CPU demo on a tiny test "
           "model." if (REPO / CONFIG).exists() else
           "Rows in this schema can be imported with `python -m pipeline import FILE.csv`.")
    st.info("No intermediate task in this selection was trained on more than one language set: the published "
            "results all train on English only (k = 1). This view needs pipeline runs of one intermediate task on "
            "nested language sets, e.g. `intermediate_language_sweep: {tasks: [xnli_translate_train], languages: "
            "[en, de, fr], order: resource}` (rows with `intermediate_languages = 'de,en'`; the sweep orders the "
            "sets as listed, by resource size or by typological diversity). "
            f"{how}")
    st.stop()

labels = points.apply(curve_label, axis=1)
left, middle, right = st.columns([3, 1, 1])
curve = url_selectbox("Curve", sorted(labels.unique()), key="il_curve", container=left)
chosen = points[labels == curve].iloc[0]
per_language = scope.analysed(saturation_points, swept, False)
per_language = per_language[(per_language[CURVE_KEYS] == chosen[CURVE_KEYS]).all(axis=1)]
languages = [LANGUAGE_MEAN, *sorted(per_language["language"].unique())]
language = url_selectbox("Target language", languages, key="il_lang", container=middle,
                         format_func=lambda lang: "mean over languages" if lang == LANGUAGE_MEAN else lang)
epsilon = url_selectbox("ε (points)", EPSILONS, key="il_eps", default=0.5, container=right,
                        help="The threshold is the smallest k at which one more language adds less than ε points.")
form_choice = url_radio("Fit", list(FORM_CHOICES), key="il_form", horizontal=True, format_func=FORM_CHOICES.get)
forms = tuple(FORMULAS) if form_choice == "both" else (form_choice,)
curve_points = points[labels == curve] if language == LANGUAGE_MEAN else per_language[
    per_language["language"] == language]
warn_if_test_artifacts(trained[trained["model"] == chosen["model"]])
if (curve_points["n_sets_at_k"] > 1).any():
    st.warning("Some k pool different language sets of the same size (e.g. two sweep orders): the curve mixes them.")

with st.spinner(f"Fitting saturating curves with {N_BOOT} bootstrap replicates…"):
    fits = fitted(tuple(curve_points["k"].astype(float)), tuple(curve_points["value"]), forms)

figure = go.Figure(go.Scatter(
    x=curve_points["k"], y=curve_points["value"], mode="markers", name="runs", marker={"color": "#333333", "size": 8},
    customdata=curve_points[["intermediate_languages", "run_id"]].to_numpy(),
    hovertemplate="k = %{x}: %{y:.2f}<br>languages %{customdata[0]}<br>run %{customdata[1]}<extra></extra>"))
grid = np.linspace(1, curve_points["k"].max(), 100)
for fit, colour in zip(fits, COLOURS):
    if not fit.ok:
        continue
    band = fit.band(grid)
    figure.add_trace(go.Scatter(x=np.r_[band["k"], band["k"][::-1]], y=np.r_[band["high"], band["low"][::-1]],
                                fill="toself", fillcolor=colour, opacity=0.18, line={"width": 0}, hoverinfo="skip",
                                showlegend=False))
    figure.add_trace(go.Scatter(x=band["k"], y=band["fit"], mode="lines", line={"color": colour},
                                name=f"{fit.form}: {FORMULAS[fit.form]}"))
figure.update_layout(xaxis={"title": "k (intermediate-training languages)", "dtick": 1},
                     yaxis={"title": f"{chosen['metric']} ({'mean over languages' if language == LANGUAGE_MEAN else language})"},
                     margin={"t": 10})
title = f"Score vs languages in intermediate training: {curve}"
show_chart(figure, name=f"languages-in-training-{chosen['intermediate_task']}", key="il_chart", title=title,
           caption="Points: runs (one per seed). Shaded: 95% percentile bootstrap band of each fitted curve.")

refused = [fit for fit in fits if not fit.ok]
if refused:
    st.info("No fit: " + "; ".join(f"{fit.form}: {fit.refused}" for fit in refused)
            + f". Each form has {N_PARAMS} parameters; run more nested language sets to fit it.")
if any(fit.ok for fit in fits):
    comparison = compare_fits(fits, epsilon)
    fitted_rows = comparison[comparison["refused"].isna()]
    st.markdown("\n\n".join(threshold_text(row, epsilon) for _, row in fitted_rows.iterrows()))
    quality = {c: QUALITY_LABELS[c] for c in QUALITY_LABELS if c in fitted_rows.columns}
    notes = [f"{row['form']}: {row['resampling']}" + (f", {row['n_boot_failed']} replicate fits failed"
                                                       if row["n_boot_failed"] else "")
             + (f", {row['note']}" if row["note"] else "") for _, row in fitted_rows.iterrows()]
    show_table(fitted_rows.set_index("form")[list(quality)].astype(float).rename(columns=quality),
               name="languages-in-training-fits", key="il_fits", title=f"Fits: {title}", digits=3,
               caption="R², AICc (small-sample AIC), ΔAIC, BIC and Akaike weights compare the forms (lower AICc/BIC "
                       f"is better); threshold: the k from which one more language adds less than ε = {epsilon:g} "
                       "points, with its 95% bootstrap interval. Resampling: " + "; ".join(notes) + ".")
    parameters = pd.concat([fit.parameter_table().assign(form=fit.form) for fit in fits if fit.ok])
    show_table(parameters.set_index(["form", "parameter"]), name="languages-in-training-parameters",
               key="il_parameters", title=f"Parameters: {title}", digits=3,
               caption="Estimates with 95% percentile bootstrap intervals (a: asymptote, b: scale, c: rate).")
sets = curve_points.groupby("k")["intermediate_languages"].agg(lambda s: ", ".join(sorted(set(s))))
show_table(sets.rename("languages").to_frame(), name="languages-in-training-sets", key="il_sets",
           title="Language sets per k", caption="The intermediate-training languages behind each k.")
finish_page(sources_of(trained.loc[trained["model"] == chosen["model"], "provenance"]))

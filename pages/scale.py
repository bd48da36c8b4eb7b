"""Scale: does a larger encoder shrink the English vs non-English gap? Score and gap against parameter count."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages._common import current_scope, sources_of, warn_if_test_artifacts
from pages._view import finish_page, show_chart, show_table, start_page, url_multiselect, url_radio, url_selectbox
from pipeline.analysis.defaults import preferred_family, preferred_scaling_setting
from pipeline.analysis.scaling import MIN_SIZES, fit_log_linear, model_family, scaling_points
from pipeline.presentation.palette import colour_of
from pipeline.tasks import BASELINE, LANGUAGE_MEAN, all_target_ids, display_name

QUANTITY_LABELS = {
    "score": "Score",
    "gap": "Transfer gap (English − language)",
    "mean_gap": "Mean transfer gap over non-English languages",
}
SETTING_NOTES = {
    "zero-shot": "zero-shot: fine-tuned on English only",
    "translate-train-all": "translate-train-all: fine-tuned on machine-translated training data in every language, "
                           "not zero-shot",
    "translate-train": "translate-train: fine-tuned on translated training data, not zero-shot",
    "translate-test": "translate-test: test data translated to English, not zero-shot",
    "not-stated": "setting not stated by the source: do not read these as zero-shot",
}
#: More languages than this and the confidence bands hide each other: only the lines are drawn.
MAX_BANDS = 4
#: Height of one legend entry: the chart grows so that its legend is never cut off.
LEGEND_ROW = 26


def condition_label(row: pd.Series) -> str:
    task = "no intermediate task" if row["intermediate_task"] == BASELINE else display_name(row["intermediate_task"])
    languages = "" if row["intermediate_languages"] == "en" else f" ({row['intermediate_languages']})"
    mlm = " + MLM" if row["mlm_cotraining"] else ""
    perturbation = "" if row["perturbation"] == "none" else f" · {row['perturbation']}"
    return f"{row['split']} · {task}{languages}{mlm}{perturbation}"


def signed(value: float) -> str:
    return f"{value:+.2f}"


start_page("Scale", "Score or English-minus-language transfer gap (y) against the encoder's parameter count "
           "(x, log scale): one point per model size of one family in one setting, with the least-squares fit "
           "value = a + b·log10(parameters), its 95% confidence band and the slope b (points per tenfold "
           "parameters) with its 95% t-interval. Default data: the shipped published XLM-R Base/Large/XL/XXL "
           "and mT5 Small→XXL results. Settings are never mixed in one fit.")
scope = current_scope()
sized = scope.where.requiring("model_params")
sizes = scope.distinct(("model", "model_params", "setting"), sized)
if sizes.empty:
    st.info("No result with a known parameter count matches the filters in the sidebar. Clear a filter to see the "
            "published XLM-R and mT5 sizes.")
    st.stop()

quantity = url_radio("Plot", list(QUANTITY_LABELS), key="sc_quantity", horizontal=True, format_func=QUANTITY_LABELS.get)
left, middle, right = st.columns(3)
# The families are those with any sized score, whatever is plotted: a quantity a family lacks is
# explained, never answered by silently switching to another family.
sizes = sizes.assign(family=sizes["model"].map(model_family))
families = sorted(sizes["family"].unique())
family = url_selectbox("Model family", families, key="sc_family", default=preferred_family(sizes), container=left,
                       help="Sizes of one family only: mT5 and XLM-R differ in more than size.")
of_family = sized.keeping(model=sizes.loc[sizes["family"] == family, "model"].unique())
tasks = [t for t in all_target_ids() if t in set(scope.values("target_task", of_family))]
task = url_selectbox("Target task", tasks, key="sc_task", default="xnli", container=middle, format_func=display_name)
of_task_rows = of_family.keeping(target_task=[task])
of_task = scope.analysed(scaling_points, of_task_rows, quantity)
if of_task.empty:
    st.info(f"No {QUANTITY_LABELS[quantity].lower()} for {family} on {display_name(task)}: a gap needs per-language "
            f"results with an English score from the same source, and the {family} numbers here are means over "
            "languages. Plot the score, or choose another family or task.")
    st.stop()
by_setting = of_task.groupby("setting")["model_params"].nunique().sort_values(ascending=False, kind="stable")
setting = url_selectbox("Setting", list(by_setting.index), key="sc_setting",
                        default=preferred_scaling_setting(by_setting, MIN_SIZES), container=right,
                        format_func=lambda s: f"{s} ({by_setting[s]} sizes)")
of_setting = of_task[of_task["setting"] == setting]

left, middle, right = st.columns(3)
metric = url_selectbox("Metric", sorted(of_setting["metric"].unique()), key="sc_metric", container=left)
of_metric = of_setting[of_setting["metric"] == metric]
labels = of_metric.apply(condition_label, axis=1)
condition = url_selectbox("Condition", sorted(labels.unique()), key="sc_condition", container=middle,
                          default=next((c for c in sorted(labels.unique()) if "no intermediate task" in c), None))
curve_points = of_metric[labels == condition]
languages = sorted(curve_points["language"].unique(), key=lambda lang: (lang != LANGUAGE_MEAN, lang))
chosen = url_multiselect("Languages", languages, key="sc_langs", container=right, placeholder=f"All ({len(languages)})")
curve_points = curve_points[curve_points["language"].isin(chosen or languages)]

st.subheader(f"{family} · {display_name(task)} {metric} · {setting}")
source_ids = sorted({s for cell in curve_points["sources"] for s in cell.split(", ")})
st.caption(f"Setting: {SETTING_NOTES.get(setting, setting)}. Sources: {', '.join(source_ids)}.")
warn_if_test_artifacts(scope.distinct(("test_artifact",), of_task_rows.keeping(model=curve_points["model"].unique())))

figure = go.Figure()
fits, refusals = [], []
with_bands = curve_points["language"].nunique() <= MAX_BANDS
grid = np.geomspace(curve_points["model_params"].min(), curve_points["model_params"].max(), 60)
for language, group in curve_points.groupby("language", sort=False):
    colour = colour_of("language", language)
    fit = fit_log_linear(group["model_params"].to_numpy(dtype=float), group["value"].to_numpy())
    figure.add_trace(go.Scatter(
        x=group["model_params"], y=group["value"], mode="markers", name=language, legendgroup=language,
        marker={"color": colour, "size": 9, "symbol": np.where(group["uncertain"], "diamond-open", "circle")},
        customdata=group[["model", "sources", "n"]].to_numpy(),
        hovertemplate=f"{language}<br>%{{customdata[0]}} (%{{x:.3s}} parameters)<br>%{{y:.2f}}"
                      "<br>%{customdata[1]} · n=%{customdata[2]}<extra></extra>"))
    if not fit.ok:
        refusals.append(f"**{language}**: {fit.refused}.")
        continue
    band = fit.band(grid)
    if with_bands:
        figure.add_trace(go.Scatter(x=np.r_[band["params"], band["params"][::-1]],
                                    y=np.r_[band["high"], band["low"][::-1]], fill="toself", fillcolor=colour,
                                    opacity=0.15, line={"width": 0}, hoverinfo="skip", showlegend=False,
                                    legendgroup=language))
    figure.add_trace(go.Scatter(x=band["params"], y=band["fit"], mode="lines", line={"color": colour},
                                legendgroup=language, showlegend=False,
                                hovertemplate=f"{language} fit: %{{y:.2f}} at %{{x:.3s}}<extra></extra>"))
    fits.append({"language": language, "slope": fit.slope, "half": (fit.slope_high - fit.slope_low) / 2,
                 "low": fit.slope_low, "high": fit.slope_high, "p": fit.p_value, "r2": fit.r2,
                 "sizes": fit.n_sizes, "intercept": fit.intercept})
figure.update_layout(xaxis={"type": "log", "title": "parameters (log scale)"},
                     yaxis={"title": QUANTITY_LABELS[quantity]}, margin={"t": 10}, legend={"title": "language"},
                     height=max(450, LEGEND_ROW * curve_points["language"].nunique() + 120))  # the legend fits
title = f"{QUANTITY_LABELS[quantity]} vs parameters: {family}, {display_name(task)} {metric}, {setting}"
show_chart(figure, name=f"scale-{family}-{task}-{quantity}", key="sc_chart", title=title,
           caption="Open diamonds: numbers the transcription flags as uncertain. Shaded: 95% confidence band of "
                   "the fitted line (where the mean lies, not where a new model would land)"
                   + ("." if with_bands else f"; drawn when at most {MAX_BANDS} languages are chosen."))

if refusals:
    st.info(f"No fit where fewer than {MIN_SIZES} sizes have a value (a line through two points has no "
            "uncertainty to report):\n\n" + "\n\n".join(refusals))
if fits:
    table = pd.DataFrame(fits).set_index("language")
    headline = table.loc[LANGUAGE_MEAN] if LANGUAGE_MEAN in table.index else table.iloc[0]
    st.markdown(f"**{headline.name}**: slope {signed(headline['slope'])} points per tenfold parameters "
                f"(95% CI {signed(headline['low'])} to {signed(headline['high'])}; p = {headline['p']:.2g}; "
                f"{int(headline['sizes'])} sizes).")
    shown = table[["slope", "intercept", "r2", "p"]].rename(columns={
        "slope": "slope per 10× parameters", "intercept": "intercept", "r2": "R²", "p": "p (slope = 0)"})
    half = pd.DataFrame(np.nan, index=shown.index, columns=shown.columns)
    half["slope per 10× parameters"] = table["half"]
    sizes_n = pd.DataFrame(np.nan, index=shown.index, columns=shown.columns)
    sizes_n["slope per 10× parameters"] = table["sizes"]
    show_table(shown, name=f"scale-{family}-{task}-{quantity}-fits", key="sc_fits", title=f"Fits: {title}",
               caption="Slope ± half its 95% t-interval (n = model sizes; n − 2 degrees of freedom).",
               ci=half, n=sizes_n, digits=3)
used = scope.distinct(("provenance",), of_task_rows.keeping(setting=[setting], metric=[metric]))
finish_page(sources_of(used["provenance"]))

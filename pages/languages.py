"""Languages: per-language scores, gains and the English-vs-language transfer gap."""

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from pages._common import (
    UNCERTAIN_MARK,
    current_scope,
    one_input_condition,
    per_language_slice,
    sources_of,
    warn_if_test_artifacts,
)
from pages._view import (
    finish_page,
    is_presenting,
    show_chart,
    show_table,
    significance_controls,
    start_page,
    url_radio,
    url_selectbox,
)
from pipeline.analysis.defaults import has_replicates, preferred_setting_of, richest_series
from pipeline.analysis.query import ResultsQuery
from pipeline.analysis.tables import language_table, mean_transfer_gap, task_metric
from pipeline.presentation import numbers
from pipeline.presentation.palette import DIVERGING, SEQUENTIAL, colour_map
from pipeline.tasks import BASELINE, all_target_ids, display_name

MEASURES = {
    "value": "Score",
    "gain": "Gain vs baseline",
    "transfer_gap": "Transfer gap (English − language)",
}

start_page("Languages", "Per-language zero-shot scores, gains over the baseline and the English-minus-language "
           "transfer gap, for one target task and one setting at a time.")
filtered = current_scope()
per_language = per_language_slice(filtered)

left, middle, right = st.columns(3)
present = set(filtered.values("target_task", per_language))
task = url_selectbox("Target task", [t for t in all_target_ids() if t in present], key="task",
                     container=left, format_func=display_name)
of_task = per_language.keeping(target_task=[task])
metrics = filtered.values("metric", of_task)
metric = url_selectbox("Metric", metrics, key="metric", default=task_metric(task), container=middle,
                       disabled=len(metrics) < 2)
compare = url_radio("Compare", ["models", "intermediate"], key="compare", container=right, horizontal=True,
                    format_func={"models": "Models (no intermediate task)", "intermediate": "Intermediate tasks"}.get)
setting_counts = filtered.summarised(ResultsQuery.count_by, of_task, "setting")
settings = sorted(setting_counts.index)
setting = url_selectbox("Setting", settings, key="setting_shown", default=preferred_setting_of(setting_counts),
                        disabled=len(settings) < 2,
                        help="One setting at a time: zero-shot and translate-train numbers answer different questions.")
if setting == "not-stated":
    st.caption("The sources of these numbers do not state the setting: do not read them as zero-shot.")

rows = of_task.keeping(setting=[setting], metric=[metric])
if compare == "models":
    rows = rows.keeping(intermediate_task=[BASELINE])
else:
    models = filtered.values("model", rows.dropping(intermediate_task=[BASELINE]))
    if not models:
        st.info("No per-language intermediate-task results in this selection yet (the published v1 paper has only "
                "means over languages). Run the pipeline to add some, or compare models instead.")
        st.stop()
    rows = rows.keeping(model=[url_selectbox("Model", models, key="model_shown")])
rows, inputs = one_input_condition(filtered, rows)

# A gain is a trained model minus its own baseline: comparing baselines alone, every gain is 0.
measures = [m for m in MEASURES if m != "gain" or compare == "intermediate"]
measure = url_radio("Measure", measures, key="measure", horizontal=True, format_func=MEASURES.get)
if compare == "models" and not is_presenting():
    st.caption("Gain vs baseline compares intermediate-task training with the same model's baseline: choose "
               "*Intermediate tasks* above to see gains.")
testable = measure == "gain" and filtered.analysed(has_replicates, rows)
mask, method, correction = significance_controls() if testable else (False, None, "holm")
table = filtered.analysed(language_table, rows, task, metric, method, correction)
if table.empty:
    st.info(f"No per-language {metric} results for {display_name(task)} in this selection.")
    st.stop()
if table["language"].nunique() < 2:
    st.info(f"{display_name(task)} has results for one language only here: there is no transfer to show.")
    st.stop()
warn_if_test_artifacts(table)

if table[measure].isna().all():
    reason = {"gain": "no baseline run matches these results", "transfer_gap": "these runs have no English score"}
    st.info(f"{MEASURES[measure]} is not available: {reason.get(measure, 'no values')}.")
    st.stop()

table = table.assign(label=table["language"] + table["uncertain"].map({True: UNCERTAIN_MARK, False: ""}))
order = table.groupby("language")[measure].mean().sort_values(ascending=False).index
wide = table.pivot(index="language", columns="series", values=measure).reindex(order)
colour = wide
if measure == "gain" and table["gain_low"].notna().any():
    half = (table["gain_high"] - table["gain_low"]) / 2
    table = table.assign(label=table["label"] + ((" ±" + half.map(numbers.score)).where(half.notna(), "")))
    if mask:
        dimmed = table.assign(d=table["testable"].fillna(False).astype(bool) & ~table["significant"].fillna(False).astype(bool))
        colour = wide.where(~dimmed.pivot(index="language", columns="series", values="d").reindex(order).fillna(False).astype(bool))
    st.caption("Gains carry 95% intervals over seeds (hover); published numbers are single values (n=1).")
hover = table.assign(h="n=" + table["n"].astype(str) + " · " + table["label"] + "<br>"
                     + table["provenance"].str.slice(0, 140))
hover_wide = hover.pivot(index="language", columns="series", values="h").reindex(order)
heatmap = go.Figure(
    go.Heatmap(
        z=colour.to_numpy(),
        x=list(wide.columns),
        y=list(wide.index),
        text=wide.map(numbers.gain if measure != "value" else numbers.score).to_numpy(),
        texttemplate="%{text}",
        customdata=hover_wide.to_numpy(),
        hovertemplate="%{y} · %{x}<br>%{z:.1f}<br>%{customdata}<extra></extra>",
        colorscale=DIVERGING if measure != "value" else SEQUENTIAL,
        zmid=0 if measure != "value" else None,
        colorbar={"title": MEASURES[measure]},
    )
)
heatmap.update_layout(height=max(300, 26 * len(wide) + 120), margin={"t": 10}, yaxis={"autorange": "reversed"})
title = " · ".join(filter(None, [display_name(task), metric, setting, inputs, MEASURES[measure].lower()]))
st.subheader(title)
show_chart(heatmap, name=f"languages-{task}-{measure}", key="languages_heatmap", title=title)

series = url_selectbox("Sorted bars for", sorted(table["series"].unique()), key="series",
                       default=richest_series(table, measure))
bars = table[table["series"] == series].dropna(subset=[measure]).sort_values(measure, ascending=False)
bar_chart = px.bar(bars, x="label", y=measure, color="language", hover_data=["n", "provenance"],
                   color_discrete_map=colour_map("language", bars["language"]),
                   labels={"label": "language", measure: MEASURES[measure]})
bar_chart.update_layout(margin={"t": 10}, showlegend=False)
st.subheader(f"{series}: {MEASURES[measure].lower()} by language")
show_chart(bar_chart, name=f"languages-{task}-{measure}-bars", key="languages_bars", title=f"{title}: {series}")

gaps = mean_transfer_gap(table)
if gaps.empty:
    st.caption("No English score in this selection, so no English-vs-language transfer gap.")
else:
    st.subheader("Mean transfer gap over non-English languages")
    show_table(gaps, name=f"languages-{task}-gap", key="languages_gap", index=False,
               title=f"Mean transfer gap, {display_name(task)} {metric} ({', '.join(filter(None, [setting, inputs]))})")
if table["uncertain"].any():
    st.caption(f"{UNCERTAIN_MARK} the language's number is flagged uncertain in the transcription.")
finish_page(sources_of(table["provenance"]))

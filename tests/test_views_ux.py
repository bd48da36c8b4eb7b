"""What a researcher meets in the views: informative defaults, no control that does nothing, human labels,
one number format, the LaTeX bold rule, a clean report and an honest ETA."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.analysis.defaults import (
    has_replicates,
    input_conditions,
    preferred_family,
    preferred_scaling_setting,
    preferred_setting,
    richest_series,
)
from pipeline.jobs.progress import MIN_PROGRESS, RateEstimator, format_eta
from pipeline.presentation import numbers
from pipeline.presentation.latex import to_latex
from pipeline.presentation.report import ReportItem, ReportSection, build_report
from pipeline.published import published_rows, source_label
from pipeline.store import ResultsStore
from pipeline.tasks import display_name, target_tasks
from tests.test_app import on_page, open_app, texts

# --------------------------------------------------------------------------- pure rules


def test_defaults_prefer_zero_shot_the_richest_series_and_a_fittable_curve() -> None:
    assert preferred_setting(pd.Series(["translate-train-all"] * 5 + ["zero-shot"])) == "zero-shot"
    assert preferred_setting(pd.Series(["not-stated", "translate-test", "translate-test"])) == "translate-test"
    table = pd.DataFrame({"series": ["one bar", "many", "many", "many"], "language": ["en", "en", "de", "sw"],
                          "value": [99.0, 50.0, 40.0, 30.0]})
    assert richest_series(table, "value") == "many", "a model with one bar says nothing about transfer"
    sizes = pd.Series({"translate-train-all": 4, "zero-shot": 2})
    assert preferred_scaling_setting(sizes, 3) == "translate-train-all", "zero-shot only where a fit is possible"
    assert preferred_scaling_setting(pd.Series({"translate-train-all": 4, "zero-shot": 3}), 3) == "zero-shot"
    points = pd.DataFrame({"family": ["xlmr"] * 4 + ["mt5"] * 3, "model_params": [1, 2, 3, 4, 1, 2, 3],
                           "setting": ["translate-train-all"] * 4 + ["zero-shot"] * 3})
    assert preferred_family(points) == "mt5"
    assert input_conditions(["token_drop@0.1", "char_noise@0.2", "none"]) == ["none", "char_noise@0.2",
                                                                             "token_drop@0.1"], "clean inputs first"


def test_significance_needs_a_condition_with_more_than_one_seed() -> None:
    published = pd.DataFrame(pd.DataFrame(published_rows()).head(50))
    assert not has_replicates(published.assign(source_id="p"))
    rows = published.head(1).assign(source_id="run")
    assert has_replicates(pd.concat([rows.assign(seed=1), rows.assign(seed=2)]))


def test_numbers_have_one_format_everywhere() -> None:
    assert numbers.score(31.0) == "31.0" and numbers.score(80.14) == "80.1" and numbers.score(float("nan")) == ""
    assert numbers.gain(0.86) == "+0.9" and numbers.gain(-1.25) == "-1.2"
    assert numbers.p_value(0.0002) == "0.0002" and numbers.p_value(0.0312) == "0.031"
    table = pd.DataFrame({"value": [31.0, 80.1], "n": [3, 12], "p (slope = 0)": [0.0002, 0.5]})
    assert numbers.formatted(table).to_dict("list") == {"value": ["31.0", "80.1"], "n": ["3", "12"],
                                                         "p (slope = 0)": ["0.0002", "0.5"]}


def test_latex_bolds_the_best_non_baseline_value_and_only_significant_gains() -> None:
    gains = pd.DataFrame({"XNLI": [0.0, -0.8, -1.2], "PAWS-X": [0.0, 0.4, 1.5]},
                         index=["Baseline (no intermediate task)", "ANLI+", "QQP"])
    latex = to_latex(gains, baseline_rows=["Baseline (no intermediate task)"], signed=True)
    assert r"\textbf{+0.0}" not in latex, "the baseline's 0.0 gain is never the best value"
    assert r"\textbf{-0.8}" in latex and r"\textbf{+1.5}" in latex
    significant = pd.DataFrame({"XNLI": [False, False, False], "PAWS-X": [False, True, False]}, index=gains.index)
    latex = to_latex(gains, baseline_rows=["Baseline (no intermediate task)"], significant=significant, signed=True)
    assert r"\textbf{+0.4}" in latex and r"\textbf{+1.5}" not in latex, "only a significant gain can be bold"
    assert r"\textbf" not in latex.split("XNLI")[1].split(r"\\")[0], "no bold where nothing is significant"


def test_the_report_prints_tables_as_people_read_them() -> None:
    fits = pd.DataFrame({"language": ["avg"], "slope": [1.234], "p (slope = 0)": [0.0002]})
    section = ReportSection("Scale", [
        ReportItem("Fits", table=fits, caption=r"\* adjusted p < 0.05", digits=3, index=False),
        ReportItem("Fits", table=fits, digits=3, index=False),
    ])
    page = build_report("Talk", [section])
    assert "<td>0.0002</td>" in page and "0.00<" not in page
    assert r"\*" not in page and "* adjusted p" in page
    assert page.count("<h3>Fits</h3>") == 1, "a chart and its table sharing a title print it once"
    assert "<th></th>" not in page and "<td>0</td>" not in page, "no pandas index column"


def test_source_ids_have_human_names() -> None:
    ids = {row["source_id"] for row in published_rows()}
    assert all(source_label(i) != i for i in ids), "every shipped source has a name in sources.csv"
    assert source_label("ernie_m_readme") == "ERNIE-M README" and source_label("upload:x") == "upload:x"


def test_the_eta_waits_for_a_rate_instead_of_extrapolating_start_up() -> None:
    rate = RateEstimator()
    assert rate.eta_seconds(now=30.0, fraction=0.0) is None, "30 s of imports and loading: no rate yet"
    assert rate.eta_seconds(now=31.0, fraction=0.02) is None
    assert rate.eta_seconds(now=32.0, fraction=0.02 + MIN_PROGRESS) is None, "too little time for a rate"
    eta = rate.eta_seconds(now=41.0, fraction=0.52)
    assert eta == pytest.approx(10.0 * 0.48 / 0.5), "measured from the first progress, not from the start"
    assert format_eta(None) == "estimating…" and format_eta(75.0) == "1m 15s"


# --------------------------------------------------------------------------- pages


def test_languages_opens_on_the_most_informative_view(store_path: Path) -> None:
    app = on_page(open_app(task="mlqa"), "pages/languages.py")
    assert app.selectbox(key="metric").value == "f1", "F1 for QA"
    assert app.selectbox(key="setting_shown").disabled, "one setting only: nothing to choose"
    series = app.selectbox(key="series")
    assert not any("ernie_m_readme" in s for s in series.options) and any("ERNIE-M README" in s for s in series.options)
    assert any(h.value.startswith(series.value) for h in app.subheader), "the bar chart says which model it shows"
    assert "gain" not in app.radio(key="measure").options, "baselines alone have no gain to show"
    assert any("choose *Intermediate tasks*" in c for c in texts(app.caption))
    app = on_page(open_app(task="xnli"), "pages/languages.py")
    assert app.selectbox(key="setting_shown").value == "zero-shot"


def test_overview_names_the_grid_for_a_person(store_path: Path) -> None:
    app = open_app()
    grid = app.selectbox(key="grid")
    assert grid.value.startswith("phang2020_v1 · xlm-roberta-large"), "the link keeps its stable key"
    assert "Phang et al. 2020 (v1) · XLM-R Large" in grid.format_func(grid.value)


def test_presentation_mode_shows_every_column_of_the_overview(store_path: Path) -> None:
    app = open_app(present="1")
    (table,) = app.table
    assert "Avg" in table.value.columns and table.value.loc["ANLI+", "XNLI"] == "79.3"


def per_language_rows_of_every_task() -> list[dict]:
    rows = []
    for task in target_tasks().values():
        for i, language in enumerate(task.languages[:4]):
            rows += [{"run_id": f"grid-{task.id}", "source": "run", "model": "xlm-roberta-base",
                      "intermediate_task": "none", "target_task": task.id, "language": language, "metric": metric,
                      "value": 60.0 - i, "split": "test", "setting": "zero-shot", "seed": 1}
                     for metric in task.metrics]
    return rows


def test_every_task_is_browsable_per_language(store_path: Path) -> None:
    ResultsStore(store_path).insert_results(per_language_rows_of_every_task(), label="every task")
    app = on_page(open_app(), "pages/languages.py")
    assert {display_name(t) for t in target_tasks()} <= set(app.selectbox(key="task").options)
    for task in target_tasks():
        app.selectbox(key="task").set_value(task).run()
        assert not app.exception and not app.error, task
        assert len(app.get("plotly_chart")) == 2, f"{task}: no heatmap and bars"

"""In a browser: after a real tiny pipeline run the default views show the published findings only, and the
"Include test artefacts" switch brings the run back, labelled; presentation mode keeps every column."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipeline.analysis.artifacts import ARTIFACT_MARK
from pipeline.store import ResultsStore
from pipeline.testing.configs import relocated_config
from tests.browser.conftest import start_server
from tests.browser.test_dashboard_e2e import CHART, errors_on, open_view
from tests.conftest import REPO

TINY = "tiny-xlmr-test"


def tiny_run(work: Path) -> Path:
    """The tiny model's XNLI baseline on English and German, run by the pipeline's CLI into ``work/atlas.db``."""
    config = relocated_config(work, name="tiny-xnli", intermediate=["none"], seeds=[1],
                              targets={"xnli": {"languages": ["en", "de"]}})
    store = work / "atlas.db"
    subprocess.run([sys.executable, "-m", "pipeline", "run", str(config), "--store", str(store)], cwd=REPO,
                   env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=True, capture_output=True, timeout=600)
    return store


def chart_text(page) -> str:
    page.wait_for_selector(CHART)
    return " ".join(page.locator(CHART).all_inner_texts())


def test_after_a_tiny_run_the_default_views_show_only_published_findings(page, tmp_path: Path) -> None:
    rows = ResultsStore(tiny_run(tmp_path)).read_results()
    assert set(rows["model"]) == {TINY} and rows["test_artifact"].all() and "xnli" in set(rows["target_task"])
    with start_server(tmp_path) as url:
        open_view(page, url)
        assert TINY not in chart_text(page) and TINY not in page.content()
        assert "tiny test model" not in page.content() and errors_on(page) == []

        open_view(page, f"{url}/languages")
        heatmap = chart_text(page)
        assert "XNLI · accuracy · zero-shot" in page.locator("h3").first.inner_text()
        assert "XLM-R" in heatmap and TINY not in heatmap, "the tiny run stays out of the default view"
        assert TINY not in page.content() and errors_on(page) == []

        open_view(page, f"{url}/languages?task=xnli&artifacts=1")
        assert TINY + ARTIFACT_MARK in chart_text(page), "switched on, the run is there and labelled"
        assert "tiny test model" in page.content()


def test_presentation_mode_shows_every_column_of_the_overview_table_on_a_slide(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    slide = context.new_page()
    try:
        open_view(slide, f"{server}/?present=1")
        table = slide.locator('[data-testid="stTable"]')
        table.scroll_into_view_if_needed()
        assert "Avg" in table.inner_text()
        width, visible = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
        assert width <= visible, "no column is scrolled out of sight"
    finally:
        context.close()

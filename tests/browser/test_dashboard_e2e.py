"""End to end in a browser: pages load, a control changes a chart, a link reproduces a view, downloads work."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import start_server

#: URL path -> title of every page in the navigation (pages/_navigation.py).
PAGES = {"": "Overview", "languages": "Languages", "typology": "Typology", "scale": "Scale",
         "robustness": "Robustness", "examples": "Examples", "intermediate_languages": "Languages in training",
         "complexity": "Task complexity", "claims": "Claims",
         "sources": "Data & sources", "report": "Report", "runs": "Runs"}
CHART = '[data-testid="stPlotlyChart"]'


def open_view(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60_000)
    # The script has finished when Streamlit's status widget stops saying it is running.
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def errors_on(page) -> list[str]:
    return page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()


def test_every_page_loads_without_an_error(server: str, page) -> None:
    for path, title in PAGES.items():
        open_view(page, f"{server}/{path}")
        assert page.locator("h1").first.inner_text() == title, path
        assert errors_on(page) == [], path


def test_switching_to_gains_redraws_the_main_table(server: str, page) -> None:
    open_view(page, server)
    page.wait_for_selector(CHART)
    assert page.locator(CHART).get_by_text("79.3", exact=True).count() >= 1
    page.get_by_text("Gain vs baseline", exact=True).click()
    page.wait_for_function("document.querySelector('[data-testid=\"stPlotlyChart\"]').innerText.includes('+49.8')",
                           timeout=30_000)
    assert "show=gain" in page.url
    expect(page.locator(CHART).get_by_text("79.3", exact=True)).to_have_count(0, timeout=30_000)


def test_a_shared_link_reproduces_the_view(server: str, page) -> None:
    open_view(page, f"{server}/languages?task=pawsx&measure=transfer_gap")
    page.wait_for_selector(CHART)
    assert "PAWS-X · accuracy · zero-shot · transfer gap" in page.locator("h3").first.inner_text()
    assert page.get_by_role("radio", name="Transfer gap (English − language)").is_checked()
    assert errors_on(page) == []


def download_button(page, label: str):
    return page.locator('[data-testid="stDownloadButton"] button').filter(has_text=label).first


def test_table_downloads_as_csv_and_latex(server: str, page) -> None:
    open_view(page, server)
    page.wait_for_selector(CHART)
    with page.expect_download() as csv_download:
        download_button(page, "CSV").click()
    text = open(csv_download.value.path(), encoding="utf-8").read()
    assert text.startswith("row,") and "ANLI+" in text and "79.3" in text
    with page.expect_download() as latex_download:
        download_button(page, "LaTeX").click()
    assert r"\toprule" in open(latex_download.value.path(), encoding="utf-8").read()


def test_chart_downloads_as_png(server: str, page) -> None:
    open_view(page, server)
    page.wait_for_selector(CHART)
    with page.expect_download(timeout=60_000) as png_download:
        download_button(page, "PNG").click()
    assert png_download.value.suggested_filename.endswith(".png")
    with open(png_download.value.path(), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_link_to_a_page_works_on_a_freshly_started_server(page, tmp_path) -> None:
    """The first visitor of a new server may arrive through a shared link to a page, not the home page."""
    with start_server(tmp_path) as url:
        open_view(page, f"{url}/languages?task=pawsx")
        page.wait_for_selector(CHART)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Overview" in nav and "Data & sources" in nav and "_common" not in nav and "common" not in nav
        assert page.locator("h1").first.inner_text() == "Languages"
        assert errors_on(page) == []

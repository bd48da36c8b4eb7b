"""The Claims page (AppTest) and `python -m pipeline claims` (subprocess), on a fresh store and on a run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from pipeline.presentation.report import build_report
from pipeline.store import ResultsStore
from tests.test_app import on_page, open_app, texts
from tests.test_claims import V1_TABLE2_VERDICTS
from tests.test_research_pages import tiny_run_rows

REPO = Path(__file__).resolve().parents[1]
ICONS = {"holds": "✅ holds", "does not hold": "❌ does not hold", "cannot be tested": "⚪ cannot be tested"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", "claims", *args], cwd=REPO, capture_output=True,
                          text=True)


def test_claims_page_on_a_fresh_start_shows_every_claim_with_its_verdict_on_table_2(store_path: Path) -> None:
    app = on_page(open_app(), "pages/claims.py")
    assert app.title[0].value == "Claims" and not app.error
    ledger = app.dataframe[0].value
    assert dict(zip(ledger["Claim"], ledger["Verdict"])) == {k: ICONS[v] for k, v in V1_TABLE2_VERDICTS.items()}
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {ICONS["holds"]: "12", ICONS["does not hold"]: "4", ICONS["cannot be tested"]: "6"}
    overview = ledger.set_index("Claim").at["v1-best-models-6.1", "Overview"]
    assert overview.startswith("./?grid=phang2020_v1") and "test" in overview, "links to the test-set grid"

    app.selectbox(key="claim").set_value("v1-leaderboard-bucc-tatoeba").run()
    shown = " ".join(texts(app.markdown))
    assert "25.5 point gains" in shown and "A − B = +25.40" in shown
    evidence = app.dataframe[1].value
    assert set(evidence["value"].round(1)) >= {82.7, 57.3, 71.9, 66.0}
    assert evidence["source"].str.contains("2005.13013v1").all()

    report = build_report("r", [app.session_state["report"]["Claims"]])
    assert "v1-leaderboard-bucc-tatoeba" in report and "does not hold" in report

    app.multiselect(key="verdicts").set_value(["cannot be tested"]).run()
    assert set(app.dataframe[0].value["Verdict"]) == {ICONS["cannot be tested"]}

    on_page(app, "pages/report.py")
    assert "Claims" in app.multiselect(key="report_views").value


def test_claims_page_checks_a_pipeline_run_and_says_it_is_a_test_artefact(store_path: Path) -> None:
    ResultsStore(store_path).insert_results(tiny_run_rows(["en", "de,en"], seeds=(1, 2, 3, 4, 5)), label="tiny run")
    app = on_page(open_app(), "pages/claims.py")
    app.selectbox(key="against").set_value("config:data/configs/tiny-cpu.yaml").run()
    assert not app.exception and any("tiny test model" in w.value for w in app.warning)
    ledger = app.dataframe[0].value.set_index("Claim")
    assert ledger.at["rq2-non-english-data-robust", "Verdict"] == ICONS["holds"]
    assert ledger.at["v1-squad-best", "Verdict"] == ICONS["cannot be tested"]
    assert "target_task=xtreme_avg" in ledger.at["v1-squad-best", "Why"]
    assert ledger.at["rq2-non-english-data-robust", "Overview"].endswith("artifacts=1"), "opens with test artefacts on"

    app.selectbox(key="compare_with").set_value("published:phang2020_v1").run()
    compared = app.dataframe[0].value.set_index("Claim")
    beside = compared["Verdict on published · phang2020_v1"]
    assert beside["v1-squad-best"] == ICONS["holds"] and compared.at["v1-squad-best", "Same verdict"] == "—"
    assert beside["rq2-non-english-data-robust"] == ICONS["cannot be tested"]


def test_cli_prints_the_same_ledger_and_writes_it_as_csv(tmp_path: Path, store_path: Path) -> None:
    out = tmp_path / "ledger.csv"
    done = cli("--csv", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("claims ledger on published:phang2020_v1: 12 holds, 4 does not hold, "
                                  "6 cannot be tested")
    for claim, verdict in V1_TABLE2_VERDICTS.items():
        assert f"[{verdict}] {claim} ·" in done.stdout
    written = pd.read_csv(out)
    assert dict(zip(written["id"], written["verdict"])) == V1_TABLE2_VERDICTS
    assert not ResultsStore(store_path).count(), "checking claims never writes the store"


def test_cli_refuses_bad_input_in_one_line(tmp_path: Path, store_path: Path) -> None:
    for args, message in ((["--source", "nope"], "error: no results for 'published:nope'"),
                          (["--source", "phang2020_v1", "--run", "x"], "error: give --source or --run, not both"),
                          (["--run", "data/configs/missing.yaml"], "error: no results for 'config:data/configs/")):
        done = cli(*args)
        assert done.returncode == 2 and done.stderr.startswith(message) and "Traceback" not in done.stderr
    bad = tmp_path / "claims"
    bad.mkdir()
    (bad / "x.yaml").write_text("source: S\nversions: {v1: a}\nclaims:\n  - {id: c, version: v1, where: w, "
                                "sentence: s, reading: r, check: {kind: vibes}}\n")
    done = cli("--claims", str(bad))
    assert done.returncode == 2 and "claims file refused: x.yaml: claim c: kind must be one of" in done.stderr


def test_cli_checks_the_runs_of_a_config(store_path: Path) -> None:
    ResultsStore(store_path).insert_results(tiny_run_rows(["en", "de,en"], seeds=(1, 2, 3, 4, 5)), label="tiny run")
    done = cli("--run", "data/configs/tiny-cpu.yaml")
    assert done.returncode == 0, done.stderr
    assert "[holds] rq2-non-english-data-robust" in done.stdout
    assert "[cannot be tested] v1-squad-best" in done.stdout

"""Gains with intervals and corrected significance in the Overview (issue: seeds and CIs everywhere)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from pipeline.store import ResultsStore
from tests.test_app import on_page, open_app

#: Per-seed gains of every intermediate task: seven of eight seeds +1, one −0.1. The exact sign-flip
#: test gives p = 4/256 for each of the 6 cells: Holm (p × 6 = 0.094) keeps none, BH (p) keeps all.
SEED_GAINS = [1, 1, 1, 1, 1, 1, 1, -0.1]


def seeded_rows() -> list[dict[str, object]]:
    rows = []
    for task in ("xnli", "pawsx"):
        for seed, gain in enumerate(SEED_GAINS):
            for language in ("en", "de", "fr"):
                common = dict(source="run", model="tiny-test-model", target_task=task, language=language,
                              metric="accuracy", split="dev", setting="zero-shot", seed=seed, test_artifact=True)
                rows.append({**common, "run_id": "base", "intermediate_task": "none", "value": 70.0})
                for intermediate in ("mnli", "qqp", "hellaswag"):
                    rows.append({**common, "run_id": intermediate, "intermediate_task": intermediate,
                                 "value": 70.0 + gain, "baseline_run_id": "base"})
    return rows


def heatmap_z(app) -> list[list[float | None]]:
    """The heatmap's colour values as sent to the browser (NaN -> None: an uncoloured cell)."""
    z = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]["z"]
    if isinstance(z, dict):  # plotly's typed-array encoding: base64 bytes, dtype, shape
        shape = [int(n) for n in str(z["shape"]).split(",")]
        z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape).tolist()
    return [[None if v is None or v != v else float(v) for v in row] for row in z]


def test_switching_holm_and_bh_changes_which_gains_are_dimmed(store_path: Path) -> None:
    ResultsStore(store_path).insert_results(seeded_rows())
    app = open_app(artifacts="1")
    grid = next(o for o in app.selectbox(key="grid").options if "tiny-test-model" in o)
    app.selectbox(key="grid").set_value(grid).run()
    app.radio(key="show").set_value("gain").run()
    app.toggle(key="mask").set_value(True).run()

    app.radio(key="correction").set_value("holm").run()
    holm = heatmap_z(app)
    assert all(v is None for row in holm[1:] for v in row), "Holm keeps none of the six gains"
    app.radio(key="correction").set_value("bh").run()
    bh = heatmap_z(app)
    assert all(v is not None and abs(v - 0.8625) < 1e-9 for row in bh[1:] for v in row), "BH keeps all six"

    table = app.dataframe[0].value
    assert table.loc["MNLI", "XNLI"].startswith("+0.9 ± ") or table.loc["MNLI", "XNLI"].startswith("0.9 ± ")
    assert table.loc["MNLI", "XNLI"].endswith("(n=8)")
    assert any("tiny test model" in w.value for w in app.warning)


def test_published_gains_are_single_values_without_intervals_or_significance_controls(store_path: Path) -> None:
    app = open_app()
    app.radio(key="show").set_value("gain").run()
    keys = {w.key for w in app.toggle} | {w.key for w in app.radio}
    assert not {"mask", "test", "correction"} & keys, "n=1 numbers cannot be tested: no control that does nothing"
    z = heatmap_z(app)
    assert all(v is not None for row in z for v in row), "untested n=1 cells are never dimmed"
    assert app.dataframe[0].value.loc["ANLI+", "XNLI"] == -0.8


def test_language_gains_carry_intervals_and_the_mask_follows_the_correction(store_path: Path) -> None:
    ResultsStore(store_path).insert_results(seeded_rows())
    app = on_page(open_app(artifacts="1"), "pages/languages.py")
    app.radio(key="compare").set_value("intermediate").run()
    app.selectbox(key="model_shown").set_value("tiny-test-model").run()
    app.radio(key="measure").set_value("gain").run()
    app.toggle(key="mask").set_value(True).run()
    app.radio(key="correction").set_value("holm").run()
    cells = [v for row in heatmap_z(app) for v in row]
    assert len(cells) == 12 and cells.count(None) == 9, "3 tasks × 3 languages dimmed; the baseline column is not a test"
    app.radio(key="correction").set_value("bh").run()
    assert None not in [v for row in heatmap_z(app) for v in row]
    assert "95% intervals" in " ".join(c.value for c in app.caption)

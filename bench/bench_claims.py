"""Claims ledger: time to evaluate every shipped claim on a published table and on a pipeline run of the paper's grid.

The run is synthetic but shaped as ``data/configs/xstilts-xlmr-large.yaml`` writes it: baseline + 8
intermediate conditions (--conditions), each with and without MLM, every XTREME task and language,
3 seeds (--seeds), read back from a temporary SQLite store. Each ledger is evaluated --repeat times
from scratch (no cache) and the median is printed with the verdict counts.

Run: .venv/bin/python bench/bench_claims.py [--conditions 8] [--seeds 3] [--repeat 3] [--quick]
Figures only; nothing is asserted and nothing is written outside a temporary directory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analysis.claims import ledger, load_claims, select_result_set  # noqa: E402
from pipeline.published import published_rows  # noqa: E402
from pipeline.store import ResultsStore  # noqa: E402
from pipeline.tasks import target_tasks  # noqa: E402

INTERMEDIATE = ["anli_plus", "qqp", "squad_v1", "hellaswag", "ccg", "cosmosqa", "commonsenseqa", "mnli"]
CONFIG = "data/configs/xstilts-xlmr-large.yaml"


def grid_rows(n_conditions: int, seeds: int) -> list[dict]:
    """Per seed: a baseline and each intermediate task with and without MLM on every XTREME cell."""
    rng = np.random.default_rng(0)
    cells = [(t.id, lang, m) for t in target_tasks().values() for lang in t.languages_by_benchmark.get("xtreme", ())
             for m in (("f1", "em") if t.group == "question_answering" else (t.primary,))]
    conditions = [("none", False)] + [(t, mlm) for t in INTERMEDIATE[:n_conditions] for mlm in (False, True)]
    rows = []
    for seed in range(1, seeds + 1):
        for task, mlm in conditions:
            run = f"{task}-{int(mlm)}-{seed}"
            shift = rng.normal(1, 2)
            rows += [{"run_id": run, "source": "run", "provenance": f"{CONFIG}#run_id={run}@bench",
                      "model": "xlm-roberta-large", "intermediate_task": task, "mlm_cotraining": mlm,
                      "target_task": target, "language": lang, "metric": metric,
                      "value": float(np.clip(60 + shift + rng.normal(0, 0.5), 0, 100)), "split": "dev",
                      "setting": "zero-shot", "seed": seed,
                      "baseline_run_id": None if task == "none" else f"none-0-{seed}"}
                     for target, lang, metric in cells]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 conditions, 2 seeds, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.conditions, args.seeds, args.repeat = 2, 2, 1
    claims = load_claims()
    with tempfile.TemporaryDirectory() as folder:
        store = ResultsStore(Path(folder) / "bench.db")
        store.insert_results(published_rows(), label="published")
        store.insert_results(grid_rows(args.conditions, args.seeds), label="grid")
        results = store.read_results()
        for key in ("published:phang2020_v1", "published:ernie_m_readme", f"config:{CONFIG}"):
            rows = select_result_set(results, key)
            times, table = [], None
            for _ in range(args.repeat):
                start = time.perf_counter()
                table = ledger(claims, rows)
                times.append(time.perf_counter() - start)
            counts = table["verdict"].value_counts().to_dict()
            print(f"claims  {len(claims)} claims on {key} ({len(rows):,} rows): {median(times):.2f} s  {counts}")


if __name__ == "__main__":
    main()

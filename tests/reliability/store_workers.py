"""Writer and reader processes for the concurrency test (``python -m tests.reliability.store_workers``).

``writer STORE DIR N`` inserts batches of ``BATCH_ROWS`` rows, each batch under its own run id;
``reader STORE DIR`` reads the store again and again until ``DIR/stop`` exists and prints what it
saw as JSON. Both wait for ``DIR/go`` after their imports, so that they really run at the same time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipeline.store import ResultsStore
from pipeline.tasks import target_tasks

BATCH_ROWS = 1_000
_SEEDS = 5


def batch_rows(writer: int, batch: int) -> list[dict[str, object]]:
    """1,000 rows of one run: 200 (task, language, metric) cells × 5 seeds."""
    cells = [(t.id, lang, m) for t in target_tasks().values() if "xtreme" in t.languages_by_benchmark
             for lang in t.languages for m in t.metrics][: BATCH_ROWS // _SEEDS]
    return [
        {"run_id": f"writer{writer}-batch{batch}", "source": "run", "model": "xlm-roberta-base",
         "intermediate_task": "none", "target_task": task, "language": lang, "metric": metric,
         "value": float((writer * 31 + batch * 7 + seed + i) % 100), "split": "test", "setting": "zero-shot",
         "seed": seed}
        for seed in range(_SEEDS) for i, (task, lang, metric) in enumerate(cells)
    ]


def _wait_for_go(sync: Path, name: str) -> None:
    (sync / f"ready-{name}").touch()
    while not (sync / "go").exists():
        time.sleep(0.01)


def write(store_path: str, sync: Path, writer: int, n_batches: int) -> None:
    batches = [batch_rows(writer, b) for b in range(n_batches)]
    store = ResultsStore(store_path)
    _wait_for_go(sync, f"writer{writer}")
    for rows in batches:
        store.insert_results(rows, label=f"writer{writer}")


def read(store_path: str, sync: Path) -> None:
    """Read until told to stop; report every partial batch or duplicate row seen."""
    store = ResultsStore(store_path)
    _wait_for_go(sync, "reader")
    totals: list[int] = []
    problems: list[str] = []
    stopping = False
    while not stopping:
        stopping = (sync / "stop").exists()  # one more read after the writers are done
        frame = store.read_results()
        sizes = frame.groupby("run_id").size()
        with store.connection() as conn:
            counted = dict(conn.execute("SELECT run_id, COUNT(*) FROM results GROUP BY run_id").fetchall())
        for name, seen in [("read_results", sizes.to_dict()), ("SQL count", counted)]:
            partial = {run: n for run, n in seen.items() if n != BATCH_ROWS}
            if partial:
                problems.append(f"{name} saw partial batches {partial}")
        if frame["result_id"].duplicated().any():
            problems.append("read_results returned a row twice")
        if totals and len(frame) < totals[-1]:
            problems.append(f"rows went from {totals[-1]} to {len(frame)}")
        totals.append(len(frame))
    print(json.dumps({"reads": len(totals), "distinct_totals": len(set(totals)), "last": totals[-1],
                      "problems": problems[:20]}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["writer", "reader"])
    parser.add_argument("store", help="a SQLite file or a PostgreSQL URL")
    parser.add_argument("sync", type=Path)
    parser.add_argument("writer", type=int, nargs="?", default=0)
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    if args.role == "writer":
        write(args.store, args.sync, args.writer, args.batches)
    else:
        read(args.store, args.sync)


if __name__ == "__main__":
    main()

"""A realistic, clearly synthetic results grid for benchmarks, written to a temporary store only.

The grid follows the issue's shape: 6 model sizes × 20 intermediate configs (the baseline, Phang et
al.'s 9 intermediate tasks with and without MLM co-training, MLM alone) × 2 splits × 4 perturbations
× 5 seeds, each run measured on the 9 XTREME target tasks in all their languages and metrics (209
rows per run): 1,003,200 rows in all. ``synthetic_rows(n)`` yields the first ``n`` rows, whole runs
first, ordered so that every seed's baseline comes before its intermediate runs. Beyond the grid (the
10^7-row sweep of example-level seeds), each cell gets more seeds: 50 seeds make 10,032,000 rows.

Every row says what it is: ``source_id='synthetic-benchmark'``, model ids ``synthetic-encoder-*``,
a provenance naming this script, ``notes='SYNTHETIC'`` and ``test_artifact=True`` (the dashboard
then labels the view). The values have the structure of real results (bigger models score higher,
English above the rest, perturbations cost points, seeds scatter), but they are made up.

Run: .venv/bin/python bench/generate_synthetic.py --rows 100000 --store /tmp/x/synthetic.db
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # appended: bench_store.py may put another commit's pipeline/ first

from pipeline.store import ResultsStore  # noqa: E402
from pipeline.store.db import DEFAULT_STORE  # noqa: E402
from pipeline.tasks import BASELINE, target_tasks  # noqa: E402

SOURCE_ID = "synthetic-benchmark"
PROVENANCE = "SYNTHETIC benchmark data from bench/generate_synthetic.py (not a measurement)"
#: Phang et al.'s intermediate tasks (fixed here, so that the grid does not grow with the registry).
INTERMEDIATE = ("anli_plus", "mnli", "qqp", "squad_v1", "squad_v2", "hellaswag", "commonsenseqa", "cosmosqa", "ccg")
TARGETS = ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc", "tatoeba")
#: (size name, parameters); larger models score higher.
MODELS = (("xs", 20_000_000), ("s", 60_000_000), ("m", 120_000_000), ("base", 270_000_000),
          ("large", 550_000_000), ("xl", 3_500_000_000))
SPLITS = ("dev", "test")
PERTURBATIONS = ("none", "token_drop@0.1", "token_drop@0.3", "char_noise@0.2")
SEEDS = (1, 2, 3, 4, 5)
BATCH_ROWS = 50_000


def intermediate_configs() -> list[tuple[str, bool]]:
    """(intermediate task, MLM co-training): the baseline, each task with and without MLM, MLM alone."""
    return [(BASELINE, False), *((task, mlm) for task in INTERMEDIATE for mlm in (False, True)), ("mlm", False)]


def _measurements() -> list[tuple[str, str, str]]:
    """(target task, language, metric) of one run."""
    return [(t, lang, m) for t in TARGETS for lang in target_tasks()[t].languages for m in target_tasks()[t].metrics]


ROWS_PER_RUN = len(_measurements())
N_RUNS = len(MODELS) * len(SPLITS) * len(PERTURBATIONS) * len(SEEDS) * len(intermediate_configs())
FULL_GRID_ROWS = N_RUNS * ROWS_PER_RUN
assert FULL_GRID_ROWS == 1_003_200, "the grid changed shape: update the module docstring and bench/README.md"


def seeds_for(n: int | None) -> tuple[int, ...]:
    """The grid's 5 seeds, or as many more as ``n`` rows need."""
    if n is None or n <= FULL_GRID_ROWS:
        return SEEDS
    return tuple(range(1, 1 + math.ceil(n * len(SEEDS) / FULL_GRID_ROWS)))


def _run_id(*parts: object) -> str:
    return "synthetic-" + hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def synthetic_rows(n: int | None = None, seed: int = 0) -> Iterator[dict[str, object]]:
    """The first ``n`` rows of the synthetic grid (all of it by default; the same rows for the same ``seed``)."""
    rng = np.random.default_rng(seed)
    measurements = _measurements()
    configs = intermediate_configs()
    # Fixed effects, drawn once: task difficulty, language distance from English, task-pair transfer.
    task_base = {t: rng.uniform(45, 80) for t in TARGETS}
    lang_cost = {lang: 0.0 if lang == "en" else rng.uniform(2, 25) for _, lang, _ in measurements}
    transfer = {(c, t): rng.normal(0.5, 2.5) for c in configs for t in TARGETS}
    perturb_cost = {p: 0.0 if p == "none" else 30 * float(p.split("@")[1]) for p in PERTURBATIONS}
    emitted = 0
    for (size, params), split, perturbation, run_seed in itertools.product(MODELS, SPLITS, PERTURBATIONS, seeds_for(n)):
        model = f"synthetic-encoder-{size}"
        baseline_run = _run_id(model, split, perturbation, run_seed, BASELINE, False)
        size_gain = 4 * np.log10(params / 2e7)
        for intermediate, mlm in configs:
            run = _run_id(model, split, perturbation, run_seed, intermediate, mlm)
            noise = rng.normal(0, 0.8, len(measurements))
            for (task, lang, metric), eps in zip(measurements, noise):
                if n is not None and emitted == n:
                    return
                value = task_base[task] + size_gain - lang_cost[lang] - perturb_cost[perturbation] + eps
                if intermediate != BASELINE:
                    value += transfer[(intermediate, mlm), task] + (0.3 if mlm else 0.0)
                if metric == "em":
                    value -= 14
                yield {
                    "run_id": run, "source": "run", "source_id": SOURCE_ID, "provenance": PROVENANCE,
                    "model": model, "model_label": f"Synthetic encoder {size}", "model_params": params,
                    "intermediate_task": intermediate, "intermediate_languages": "en", "mlm_cotraining": mlm,
                    "target_task": task, "language": lang, "metric": metric,
                    "value": round(min(max(float(value), 0.0), 100.0), 2), "split": split, "setting": "zero-shot",
                    "seed": run_seed, "perturbation": perturbation,
                    "baseline_run_id": None if intermediate == BASELINE else baseline_run,
                    "test_artifact": True, "notes": "SYNTHETIC",
                }
                emitted += 1


def fill_store(path: str | Path, n: int, batch_rows: int = BATCH_ROWS) -> ResultsStore:
    """A store at ``path`` holding the first ``n`` synthetic rows, written in batches.

    Synthetic rows belong in a temporary store only: refuses a file in the checkout's ``data/`` and
    any existing store that holds a row of another source.
    """
    path = Path(path).resolve()
    if path.is_relative_to(DEFAULT_STORE.parent):
        raise SystemExit(f"refusing to write synthetic rows into {path}; pick a temporary file")
    store = ResultsStore(path)
    with store.connection() as conn:
        if conn.execute("SELECT 1 FROM results WHERE source_id != ? LIMIT 1", (SOURCE_ID,)).fetchone():
            raise SystemExit(f"{path} holds real results; synthetic rows go into a temporary store only")
    rows = synthetic_rows(n)
    while batch := list(itertools.islice(rows, batch_rows)):
        store.insert_results(batch, label="synthetic-benchmark")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=FULL_GRID_ROWS,
                        help=f"{FULL_GRID_ROWS:,} is the grid; more rows add seeds")
    parser.add_argument("--store", required=True, help="a temporary store file (never the real store)")
    args = parser.parse_args()
    start = time.perf_counter()
    store = fill_store(args.store, args.rows)
    print(f"{store.count():,} synthetic rows -> {store.name} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()

"""Time the seed statistics on a full XTREME grid of ~10^5 result rows and print the figures.

Run: ``python bench/bench_stats.py [--models 6] [--seeds 5] [--repeat 3]``. Two grids are timed:
baselines with the same seeds as the intermediate runs (paired path) and with other seeds
(bootstrap path, the expensive one). Prints the best of ``--repeat`` runs; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.analysis.stats import aggregate_seeds, gains_with_ci, significance, xtreme_average  # noqa: E402
from pipeline.tasks import target_tasks  # noqa: E402

INTERMEDIATES = ["mnli", "anli_plus", "qqp", "squad_v2", "hellaswag", "ccg", "cosmosqa", "commonsenseqa"]


def grid(n_models: int, n_seeds: int, paired: bool, rng: np.random.Generator) -> pd.DataFrame:
    """Every XTREME (task, language, metric) for baseline + intermediate runs (± MLM) over seeds."""
    cells = [
        (task.id, language, metric)
        for task in target_tasks().values()
        if "xtreme" in task.languages_by_benchmark
        for language in task.languages_by_benchmark["xtreme"]
        for metric in task.metrics
    ]
    conditions = [("none", False)] + [(t, mlm) for t in INTERMEDIATES for mlm in (False, True)]
    frames = []
    for model in range(n_models):
        for intermediate, mlm in conditions:
            offset = 100 if intermediate == "none" and not paired else 0
            for seed in range(offset, offset + n_seeds):
                frame = pd.DataFrame(cells, columns=["target_task", "language", "metric"])
                frame["value"] = np.clip(rng.normal(70, 3, len(frame)), 0, 100)
                frame["seed"] = seed
                frame["intermediate_task"] = intermediate
                frame["mlm_cotraining"] = mlm
                frame["model"] = f"model-{model}"
                frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.assign(intermediate_languages="en", split="dev", setting="zero-shot", perturbation="none",
                       source_id="pipeline", baseline_run_id=None)
    rows["run_id"] = rows["model"] + "/" + rows["intermediate_task"] + "/" + rows["seed"].astype(str)
    rows["seed"] = rows["seed"].astype("Int64")
    return rows


def best_time(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for paired in (True, False):
        rows = grid(args.models, args.seeds, paired, rng)
        label = "paired seeds" if paired else "baseline seeds differ (bootstrap path)"
        print(f"\n{len(rows):,} rows, {args.seeds} seeds, {label}")
        seconds, _ = best_time(lambda: aggregate_seeds(rows), args.repeat)
        print(f"  aggregate_seeds                        {seconds:6.3f} s")
        seconds, gains = best_time(lambda: gains_with_ci(rows), args.repeat)
        print(f"  gains_with_ci (n_boot=2000)            {seconds:6.3f} s  ({len(gains):,} cells)")
        for method in ("paired_bootstrap", "permutation"):
            seconds, _ = best_time(lambda: significance(gains, method=method, correction="bh"), args.repeat)
            print(f"  significance {method:<17} (9999) {seconds:6.3f} s")
        if paired:
            seconds, table = best_time(lambda: xtreme_average(rows), args.repeat)
            print(f"  xtreme_average (n_boot=2000)           {seconds:6.3f} s  ({len(table):,} rows)")


if __name__ == "__main__":
    main()

"""The XTREME average of pipeline runs, per seed, so that claims about Table 2's Avg column can be
checked on a run.

Published tables print their average; a run stores per-language rows only. For each seed, the
average is what ``stats.xtreme_average`` computes (task scores over the benchmark's languages, F1
and EM averaged for QA, then the mean over tasks), given only when every task of the benchmark is
complete. Each derived row keeps its run's id, baseline link and provenance, so gains over the
baseline pair by seed like any stored row.
"""

from __future__ import annotations

import pandas as pd

from pipeline.analysis.stats import RUN_CONDITION_COLUMNS, xtreme_average
from pipeline.tasks import BENCHMARK_AVERAGE, LANGUAGE_MEAN

#: What a derived row carries over from the rows of its run and seed.
_CARRIED = ["run_id", "baseline_run_id", "source", "model_label", "model_params", "uncertain", "test_artifact"]


def run_benchmark_averages(results: pd.DataFrame, benchmark: str = "xtreme") -> pd.DataFrame:
    """One row per pipeline run and seed whose every benchmark task is complete: the benchmark average."""
    runs = results[(results["source"] == "run") & (results["language"] != LANGUAGE_MEAN)]
    derived = []
    for seed, rows in runs.groupby(runs["seed"].astype("Int64").astype("string").fillna("-"), sort=True):
        averages = xtreme_average(rows, benchmark, n_boot=100)
        overall = averages[(averages["target_task"] == BENCHMARK_AVERAGE) & averages["value"].notna()]
        if overall.empty:
            continue
        carried = rows.groupby(RUN_CONDITION_COLUMNS, dropna=False).agg(
            **{c: (c, "first") for c in _CARRIED if c in rows.columns},
            provenance=("provenance", lambda s: "; ".join(sorted(set(s)))),
        ).reset_index()
        derived.append(overall[[*RUN_CONDITION_COLUMNS, "value"]].merge(carried, on=RUN_CONDITION_COLUMNS).assign(
            seed=rows["seed"].iloc[0], target_task=BENCHMARK_AVERAGE, metric="score", language=LANGUAGE_MEAN,
            notes=f"{benchmark.upper()} average derived from the run's per-language rows (as its scorer computes it)",
        ))
    return pd.concat(derived, ignore_index=True) if derived else pd.DataFrame(columns=results.columns)

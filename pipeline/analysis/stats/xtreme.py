"""Language-averaged task scores and the overall benchmark score as XTREME's scorer computes them, with CIs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.analysis.stats.checks import check_fraction, check_resampling, require_columns
from pipeline.analysis.stats.grouping import (
    CONDITION_COLUMNS,
    RUN_CONDITION_COLUMNS,
    Groups,
    block_stats,
    group_rows,
    is_constant,
    seed_array,
)
from pipeline.analysis.stats.notes import NO_INTERVAL, ZERO_VARIANCE, join_notes
from pipeline.analysis.stats.resampling import bootstrap_counts, replicate_chunks, seeded_rng
from pipeline.tasks import BENCHMARK_AVERAGE, target_tasks

_QA_GROUP = "question_answering"
#: Stands in for a missing seed where pandas would otherwise drop or mis-sort the group.
_UNSEEDED = -np.inf


def _task_metrics(task_id: str) -> tuple[str, ...]:
    """The metrics whose language averages make a task's score: F1 and EM for QA, else the primary one."""
    task = target_tasks()[task_id]
    return ("f1", "em") if task.group == _QA_GROUP else (task.primary,)


def _benchmark_cells(benchmark: str) -> pd.DataFrame:
    """Every (target_task, language, metric) the benchmark's scorer averages."""
    tasks = [t for t in target_tasks().values() if benchmark in t.languages_by_benchmark]
    if not tasks:
        known = sorted({b for t in target_tasks().values() for b in t.languages_by_benchmark})
        raise ValueError(f"unknown benchmark {benchmark!r}; known: {', '.join(known)}")
    records = [
        (task.id, language, metric)
        for task in tasks
        for language in task.languages_by_benchmark[benchmark]
        for metric in _task_metrics(task.id)
    ]
    return pd.DataFrame.from_records(records, columns=["target_task", "language", "metric"])


def _mean_intervals(
    groups: Groups, confidence: float, n_boot: int, rng_seed: int,
    sink: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean over seeds per group with a percentile-bootstrap interval (and whether it has width 0).

    ``sink(group_indices, replicates)`` receives every chunk of replicate means.
    """
    mean, _ = block_stats(groups)
    low, high = np.full(len(mean), np.nan), np.full(len(mean), np.nan)
    zero = np.zeros(len(mean), dtype=bool)
    tails = [0.5 - confidence / 2, 0.5 + confidence / 2]
    for size in sorted(set(groups.sizes[groups.sizes >= 2].tolist())):
        which = np.flatnonzero(groups.sizes == size)
        samples = groups.block(which, size, groups.values)
        weights = bootstrap_counts(size, n_boot, seeded_rng(rng_seed, size)) / size
        for part, reps in replicate_chunks(samples, weights):
            low[which[part]], high[which[part]] = np.quantile(reps, tails, axis=1)
            if sink is not None:
                sink(which[part], reps)
        constant = which[is_constant(samples)]
        low[constant] = high[constant] = mean[constant]
        zero[constant] = True
    return mean, low, high, zero


def _per_seed(rows: pd.DataFrame, benchmark: str) -> pd.DataFrame:
    """Per (run condition, task, seed): the language average of each metric and the task score.

    ``complete`` is True for a seed that has every language of every metric the score needs.
    """
    keys = [*RUN_CONDITION_COLUMNS, "target_task", "_seed"]
    per_language = rows.groupby([*keys, "metric", "language"], observed=True, sort=False)["value"].mean()
    per_metric = per_language.groupby(level=[*keys, "metric"], observed=True, sort=False).agg(["mean", "size"])
    per_metric = per_metric.reset_index().rename(columns={"mean": "value"})
    needed = per_metric["target_task"].map(lambda t: len(target_tasks()[t].languages_by_benchmark[benchmark]))
    per_metric["complete"] = per_metric["size"] == needed
    score = per_metric.groupby(keys, observed=True, sort=False).agg(
        value=("value", "mean"), complete=("complete", "all"), n_metrics=("metric", "size")
    ).reset_index()
    score["complete"] &= score["n_metrics"] == score["target_task"].map(lambda t: len(_task_metrics(t)))
    score["metric"] = "score"
    per_metric = per_metric.drop(columns="complete").merge(score[[*keys, "complete"]], on=keys)
    columns = [*keys, "metric", "value", "complete"]
    return pd.concat([per_metric[columns], score[columns]], ignore_index=True)


def _missing_languages(rows: pd.DataFrame, benchmark: str) -> str:
    """'k of N languages: missing …' for one task's rows (a language counts if every metric has it)."""
    task = rows["target_task"].iloc[0]
    expected = target_tasks()[task].languages_by_benchmark[benchmark]
    by_metric = rows.groupby("metric")["language"].agg(set)
    lacking = [lang for lang in expected if any(lang not in by_metric.get(m, set()) for m in _task_metrics(task))]
    shown = ", ".join(lacking[:8]) + (", …" if len(lacking) > 8 else "")
    return f"{len(expected) - len(lacking)} of {len(expected)} languages: missing {shown}"


def xtreme_average(
    results: pd.DataFrame, benchmark: str = "xtreme", confidence: float = 0.95, n_boot: int = 2000,
    rng_seed: int = 0,
) -> pd.DataFrame:
    """Language-averaged task scores and the overall score as XTREME's scorer computes them, with CIs.

    A task's score is the mean over its languages (the registry's ``languages_by_benchmark``),
    per seed; for QA tasks the F1 and EM averages are given and the task score (``metric='score'``)
    is their mean. A seed lacking a language is left out (the note says which); a task without a
    complete seed gets NaN and the missing languages. The overall score (``target_task`` =
    ``BENCHMARK_AVERAGE``) is the mean of the task scores, given only when every task of the
    benchmark has one. Intervals are percentile bootstraps over seeds: a task's seeds are resampled
    jointly across its languages and metrics, and the task replicates are averaged into the overall
    one (tasks with the same seeds share draws, which keeps any correlation from a shared
    intermediate checkpoint). Published means over languages (``language='avg'``) are not re-averaged.
    """
    require_columns(results, [*CONDITION_COLUMNS, "value", "seed"], "xtreme_average")
    check_fraction("confidence", confidence)
    check_resampling(n_boot, rng_seed)
    cells = _benchmark_cells(benchmark)
    bench_tasks = list(dict.fromkeys(cells["target_task"]))
    rows = results.merge(cells, on=["target_task", "language", "metric"], how="inner")
    rows["_seed"] = np.nan_to_num(seed_array(rows), nan=_UNSEEDED)
    per_seed = _per_seed(rows, benchmark)
    task_keys = [*RUN_CONDITION_COLUMNS, "target_task"]
    usable = per_seed[per_seed["complete"]].rename(columns={"_seed": "seed"})
    groups = group_rows(usable, [*task_keys, "metric"])

    # Overall replicates only for runs whose every task has a score from two or more seeds.
    scores = groups.keys.assign(n=groups.sizes)[groups.keys["metric"] == "score"]
    eligible = scores[scores["n"] >= 2].groupby(RUN_CONDITION_COLUMNS, observed=True, sort=False).size()
    eligible = eligible[eligible == len(bench_tasks)].reset_index()[RUN_CONDITION_COLUMNS]
    slot = groups.keys.merge(eligible.assign(_slot=np.arange(len(eligible))), on=RUN_CONDITION_COLUMNS, how="left")
    slot = np.where(groups.keys["metric"] == "score", slot["_slot"].fillna(-1), -1).astype(np.intp)
    overall_reps = np.zeros((len(eligible), n_boot))

    def accumulate(which: np.ndarray, reps: np.ndarray) -> None:
        into = slot[which] >= 0
        np.add.at(overall_reps, slot[which][into], reps[into] / len(bench_tasks))

    mean, low, high, zero = _mean_intervals(groups, confidence, n_boot, rng_seed, accumulate)
    stats = groups.keys.assign(value=mean, ci_low=low, ci_high=high, n=groups.sizes, _zero=zero)
    tasks = per_seed[[*task_keys, "metric"]].drop_duplicates().merge(stats, on=[*task_keys, "metric"], how="left")
    tasks["n"] = tasks["n"].fillna(0).astype(int)
    tasks["_zero"] = tasks["_zero"].eq(True)
    tasks["n_languages"] = tasks["target_task"].map(
        lambda t: len(target_tasks()[t].languages_by_benchmark[benchmark])
    )
    tasks["note"] = _task_notes(tasks, rows, per_seed, benchmark)
    overall = _overall(tasks, eligible, overall_reps, bench_tasks, confidence)
    out = pd.concat([tasks, overall], ignore_index=True)
    task_rank = {t: i for i, t in enumerate([*bench_tasks, BENCHMARK_AVERAGE])}
    metric_rank = {m: i for i, m in enumerate([*dict.fromkeys(cells["metric"]), "score"])}
    out = out.assign(
        _run=out.groupby(RUN_CONDITION_COLUMNS, observed=True, sort=False).ngroup(),
        _task=out["target_task"].map(task_rank),
        _metric=out["metric"].map(metric_rank),
    ).sort_values(["_run", "_task", "_metric"], ignore_index=True)
    out.insert(0, "benchmark", benchmark)
    out["confidence"] = confidence
    out["n_languages"] = out["n_languages"].astype("Int64")
    return out[["benchmark", *task_keys, "metric", "value", "ci_low", "ci_high", "n", "n_languages", "note",
                "confidence"]]


def _task_notes(tasks: pd.DataFrame, rows: pd.DataFrame, per_seed: pd.DataFrame, benchmark: str) -> np.ndarray:
    """Why a task's number is missing, rests on fewer seeds, or has no interval."""
    task_keys = [*RUN_CONDITION_COLUMNS, "target_task"]
    empty = (tasks["n"] == 0).to_numpy()
    missing = np.full(len(tasks), "", dtype=object)
    if empty.any():
        by_task = {key: _missing_languages(group, benchmark) for key, group in rows.groupby(task_keys, sort=False)}
        missing[empty] = [by_task[tuple(k)] for k in tasks.loc[empty, task_keys].itertuples(index=False)]
    dropped = np.full(len(tasks), "", dtype=object)
    lacking = per_seed[(per_seed["metric"] == "score") & ~per_seed["complete"]]
    if len(lacking):
        seeds = lacking.groupby(task_keys, observed=True, sort=False)["_seed"].agg(
            lambda s: ", ".join("unseeded" if v == _UNSEEDED else str(int(v)) for v in sorted(s))
        )
        seeds = tasks[task_keys].merge(seeds.rename("seed_array").reset_index(), on=task_keys, how="left")["seed_array"]
        has = seeds.notna().to_numpy() & ~empty
        dropped[has] = "seeds lacking languages left out: " + seeds[has].astype(object)
    return join_notes(
        (empty, missing),
        (dropped != "", dropped),
        ((tasks["n"] == 1).to_numpy(), NO_INTERVAL),
        (tasks["_zero"].to_numpy(dtype=bool), ZERO_VARIANCE),
    )


def _overall(
    tasks: pd.DataFrame, eligible: pd.DataFrame, reps: np.ndarray, bench_tasks: list[str], confidence: float
) -> pd.DataFrame:
    """One overall row per run condition: the mean task score when every task has one, else NaN and why."""
    scores = tasks[tasks["metric"] == "score"]
    overall = scores.groupby(RUN_CONDITION_COLUMNS, observed=True, sort=False).agg(
        value=("value", "mean"), n=("n", "min"), _scored=("value", "count"), _zero=("_zero", "all"),
        _present=("target_task", list),
    ).reset_index()
    unscored = scores[scores["value"].isna()].groupby(RUN_CONDITION_COLUMNS, observed=True, sort=False)
    unscored = unscored["target_task"].agg(", ".join).rename("_unscored").reset_index()
    overall = overall.merge(unscored, on=RUN_CONDITION_COLUMNS, how="left")
    absent = overall["_present"].map(lambda present: ", ".join(t for t in bench_tasks if t not in present))
    complete = (overall["_scored"] == len(bench_tasks)).to_numpy()
    overall["value"] = overall["value"].where(complete)
    overall["ci_low"], overall["ci_high"] = np.nan, np.nan
    slot = overall[RUN_CONDITION_COLUMNS].merge(
        eligible.assign(_slot=np.arange(len(eligible))), on=RUN_CONDITION_COLUMNS, how="left"
    )["_slot"]
    has = slot.notna().to_numpy()
    if has.any():
        bounds = np.quantile(reps, [0.5 - confidence / 2, 0.5 + confidence / 2], axis=1)
        overall.loc[has, "ci_low"] = bounds[0][slot[has].astype(int)]
        overall.loc[has, "ci_high"] = bounds[1][slot[has].astype(int)]
    constant = complete & overall["_zero"].to_numpy(dtype=bool)
    overall.loc[constant, "ci_low"] = overall.loc[constant, "value"]
    overall.loc[constant, "ci_high"] = overall.loc[constant, "value"]
    overall["note"] = join_notes(
        ((absent != "").to_numpy(), ("missing tasks: " + absent).to_numpy(dtype=object)),
        (overall["_unscored"].notna().to_numpy(),
         ("no task score for: " + overall["_unscored"].fillna("")).to_numpy(dtype=object)),
        (complete & overall["ci_low"].isna().to_numpy(), "a task has n=1: no interval"),
        (constant, ZERO_VARIANCE),
    )
    overall["target_task"] = BENCHMARK_AVERAGE
    overall["metric"] = "score"
    overall["n_languages"] = pd.NA
    return overall.drop(columns=["_scored", "_zero", "_present", "_unscored"])

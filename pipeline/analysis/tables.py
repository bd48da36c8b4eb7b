"""The tables the Overview and Languages pages draw: pure DataFrame-in, DataFrame-out functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from pipeline.analysis.gains import with_gains, with_transfer_gap
from pipeline.analysis.query import EVERYTHING, ResultsQuery, Slice
from pipeline.analysis.stats import CONDITION_COLUMNS, gains_with_ci, significance
from pipeline.published import source_label
from pipeline.tasks import BASELINE, BENCHMARK_AVERAGE, LANGUAGE_MEAN, all_target_ids, display_name, target_tasks

#: What identifies one comparable experiment grid (one paper table, one pipeline sweep).
COMPARISON_COLUMNS = ["source_id", "model", "split", "setting"]
#: The columns a Languages-page series may be told apart by, most telling first.
SERIES_PARTS = ["model_label", "intermediate_task", "mlm_cotraining", "setting", "source_id", "split"]


def filter_results(results: pd.DataFrame, selections: Mapping[str, Iterable[object] | None]) -> pd.DataFrame:
    """Rows whose column values are among the selected ones; a ``None`` or empty selection keeps all."""
    mask = pd.Series(True, index=results.index)
    for column, allowed in selections.items():
        allowed = list(allowed or [])
        if allowed:
            mask &= results[column].isin(allowed)
    return results[mask]


def task_metric(target_task: str, qa_metric: str = "f1") -> str:
    """The metric a one-number-per-task table shows: the task's primary metric, or F1/EM for QA."""
    if target_task == BENCHMARK_AVERAGE:
        return "score"
    task = target_tasks()[target_task]
    return qa_metric if qa_metric in task.metrics else task.primary


def _shown_metric_rows(results: pd.DataFrame, qa_metric: str) -> pd.DataFrame:
    """The rows in the metric ``task_metric`` picks for their task (looked up once per task)."""
    metric_of = {task: task_metric(task, qa_metric) for task in results["target_task"].unique()}
    shown = results["metric"] == results["target_task"].map(metric_of)
    return results if shown.all() else results[shown]  # a slice of the shown metrics already: no copy


def comparisons(results: pd.DataFrame) -> pd.DataFrame:
    """Experiment grids in the results with their number of intermediate tasks, richest first."""
    if results.empty:
        return pd.DataFrame(columns=[*COMPARISON_COLUMNS, "n_intermediate", "n_rows"])
    grouped = results.groupby(COMPARISON_COLUMNS, dropna=False)
    table = grouped.agg(
        n_intermediate=("intermediate_task", lambda s: s[s != BASELINE].nunique()),
        n_rows=("value", "size"),
    ).reset_index()
    return table.sort_values(["n_intermediate", "n_rows"], ascending=False, ignore_index=True)


def comparisons_in(query: ResultsQuery, where: Slice = EVERYTHING) -> pd.DataFrame:
    """``comparisons`` of a slice of the store, counted where the rows live (the same table)."""
    # Rows per (grid, intermediate task) from the engine (a plain group-by scans 10^7 rows in half the time of
    # a distinct count), then per grid here: a few hundred groups.
    per_task = query.aggregate([*COMPARISON_COLUMNS, "intermediate_task"], {"n_rows": "count(*)"}, where)
    if per_task.empty:
        return pd.DataFrame(columns=[*COMPARISON_COLUMNS, "n_intermediate", "n_rows"])
    table = per_task.groupby(COMPARISON_COLUMNS, dropna=False).agg(
        n_intermediate=("intermediate_task", lambda s: s[s != BASELINE].nunique()), n_rows=("n_rows", "sum"),
    ).reset_index()
    return table.sort_values(["n_intermediate", "n_rows"], ascending=False, ignore_index=True)


def source_summary(query: ResultsQuery, where: Slice = EVERYTHING) -> pd.DataFrame:
    """Rows, rows flagged uncertain and models per source of a slice of the store."""
    return query.aggregate(["source", "source_id"], {
        "rows": "count(*)", "uncertain": "count(*) FILTER (WHERE uncertain)", "models": "count(DISTINCT model)",
    }, where)


def comparison_label(grid: Mapping[str, object]) -> str:
    """One line naming a row of ``comparisons()``: stable (it is the grid's key in shared links)."""
    return f"{grid['source_id']} · {grid['model']} · {grid['split']} · {grid['setting']} ({_tasks_phrase(grid)})"


def comparison_title(grid: Mapping[str, object], model_label: str) -> str:
    """The same grid named for a person: the source's and the model's names instead of ids."""
    return (f"{source_label(str(grid['source_id']))} · {model_label} · {grid['split']} · {grid['setting']} "
            f"({_tasks_phrase(grid)})")


def _tasks_phrase(grid: Mapping[str, object]) -> str:
    n = int(grid["n_intermediate"])
    return f"{n} intermediate task{'s' if n != 1 else ''}" if n else "baselines only"


@dataclass(frozen=True)
class OverviewTable:
    """A target-task × intermediate-task table with what stands behind each cell."""

    values: pd.DataFrame  # rows: intermediate (with MLM), columns: target task names
    uncertain: pd.DataFrame  # same shape, True where a flagged number contributes
    hover: pd.DataFrame  # same shape, provenance and how the cell was computed
    cells: pd.DataFrame  # long form of the same numbers, for export and footnotes


def _row_label(intermediate: str, mlm: bool) -> str:
    return display_name(intermediate) + (" + MLM" if mlm else "")


def overview_table(results: pd.DataFrame, show: str = "absolute", qa_metric: str = "f1") -> OverviewTable:
    """The paper's main table for one comparison: one number per (intermediate task, MLM) × target task.

    A published mean over languages is used as printed; otherwise the cell is the mean over the
    languages present (and says so). ``show='gain'`` subtracts the baseline first, per language.
    """
    if show not in ("absolute", "gain"):
        raise ValueError(f"show must be 'absolute' or 'gain', not {show!r}")
    # Gains match on target task and metric, so the shown metric's rows are picked first and only
    # they get gains (scores need none).
    frame = _shown_metric_rows(results, qa_metric)
    column = "value"
    if show == "gain":
        frame, column = with_gains(frame), "gain"
    cells = _overview_cells(frame.dropna(subset=[column]), column)
    return OverviewTable(
        values=_wide(cells, "value"),
        uncertain=_wide(cells, "uncertain").fillna(False).astype(bool),
        hover=_wide(cells, "hover_text"),
        cells=cells.drop(columns="hover_text", errors="ignore"),
    )


def _overview_cells(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """One record per (intermediate task, MLM, target task): the printed mean over languages where the
    group has one, else the mean of its languages. Aggregated by the engine per group, not per row."""
    keys = ["intermediate_task", "mlm_cotraining", "target_task"]
    printed = frame["language"] == LANGUAGE_MEAN
    use = frame[printed == printed.groupby([frame[k] for k in keys]).transform("any")]
    grouped = use.groupby(keys)
    table = pd.DataFrame({
        "metric": use.drop_duplicates(keys).set_index(keys)["metric"],
        "value": grouped[column].mean(),
        "n": grouped.size(),
        "uncertain": grouped["uncertain"].any(),
        "printed": grouped["language"].first() == LANGUAGE_MEAN,
        "languages": grouped["language"].nunique(),
        "provenance": use[[*keys, "provenance"]].drop_duplicates().sort_values("provenance")
                      .groupby(keys)["provenance"].agg("; ".join),
    })
    records = [
        {
            "intermediate_task": intermediate,
            "mlm_cotraining": bool(mlm),
            "row": _row_label(intermediate, bool(mlm)),
            "target_task": task,
            "column": display_name(task),
            "metric": cell.metric,
            "value": cell.value,
            "n": cell.n,
            "uncertain": bool(cell.uncertain),
            "how": "printed mean over languages" if cell.printed else f"mean of {cell.languages} languages",
            "provenance": cell.provenance,
        }
        for (intermediate, mlm, task), cell in zip(table.index, table.itertuples(index=False))
    ]
    return pd.DataFrame.from_records(
        records,
        columns=["intermediate_task", "mlm_cotraining", "row", "target_task", "column", "metric", "value", "n",
                 "uncertain", "how", "provenance"],
    )


def _wide(cells: pd.DataFrame, field: str) -> pd.DataFrame:
    if cells.empty:
        return pd.DataFrame()
    if field == "hover_text":
        cells = cells.assign(
            hover_text=cells["metric"] + " · " + cells["how"] + (cells["uncertain"].map({True: " · ⚠ flagged uncertain", False: ""}))
            + "<br>" + cells["provenance"].str.slice(0, 160)
        )
    order_cols = [display_name(t) for t in all_target_ids() if display_name(t) in set(cells["column"])]
    rows = cells.sort_values(["mlm_cotraining", "intermediate_task"], key=_baseline_first)["row"].unique()
    return cells.pivot(index="row", columns="column", values=field).reindex(index=rows, columns=order_cols)


def _baseline_first(series: pd.Series) -> pd.Series:
    if series.name == "intermediate_task":
        return series.map(lambda t: (t != BASELINE, t))
    return series


def series_labels(results: pd.DataFrame) -> pd.Series:
    """A short label per row naming only the parts that vary in the selection (model, task, MLM, …)."""
    parts = [c for c in SERIES_PARTS if results[c].nunique(dropna=False) > 1] or ["model_label"]
    pieces = []
    for column in parts:
        values = results[column]
        if column == "intermediate_task":
            values = values.map(display_name)
        elif column == "mlm_cotraining":
            values = values.map({True: "+MLM", False: "no MLM"})
        elif column == "source_id":
            values = values.map({s: source_label(s) for s in values.unique()})
        pieces.append(values.astype(str))
    label = pieces[0]
    for piece in pieces[1:]:
        label = label + " · " + piece
    return label


def language_table(results: pd.DataFrame, target_task: str, metric: str, method: str | None = None,
                   correction: str = "holm") -> pd.DataFrame:
    """Per-language rows of one task and metric with series label, gain and transfer gap.

    Seeds are averaged (``n`` says how many); published means over languages are left out. With a
    test ``method``, each gain also gets its interval and corrected significance (across the table).
    """
    frame = results[(results["target_task"] == target_task) & (results["metric"] == metric)]
    frame = frame[frame["language"] != LANGUAGE_MEAN]
    columns = ["series", "language", "value", "gain", "transfer_gap", "n", "uncertain", "provenance", "test_artifact"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = with_transfer_gap(with_gains(frame))
    frame = frame.assign(series=series_labels(frame))
    intervals = {}
    if method is not None:
        frame = with_gain_intervals(frame, method=method, correction=correction)
        intervals = {c: (c, "first") for c in ("gain_low", "gain_high", "significant", "testable", "ci_note")}
        columns = [*columns, *intervals]
    table = frame.groupby(["series", "language"], as_index=False).agg(
        **intervals,
        value=("value", "mean"),
        gain=("gain", "mean"),
        transfer_gap=("transfer_gap", "mean"),
        n=("value", "size"),
        uncertain=("uncertain", "any"),
        test_artifact=("test_artifact", "any"),
        provenance=("provenance", lambda s: "; ".join(sorted(set(s)))),
    )
    return table[columns]


def mean_transfer_gap(table: pd.DataFrame, source_language: str = "en") -> pd.DataFrame:
    """Mean English-minus-language gap over the non-English languages of each series."""
    others = table[(table["language"] != source_language) & table["transfer_gap"].notna()]
    return (
        others.groupby("series", as_index=False)
        .agg(mean_gap=("transfer_gap", "mean"), n_languages=("language", "nunique"))
        .sort_values("mean_gap", ignore_index=True)
    )


#: What the significance columns added by ``with_gain_intervals`` are called.
INTERVAL_COLUMNS = ["gain_low", "gain_high", "gain_n", "ci_note", "p_adjusted", "significant", "testable", "p_note"]


def with_gain_intervals(
    results: pd.DataFrame, method: str = "permutation", correction: str = "holm", alpha: float = 0.05
) -> pd.DataFrame:
    """``results`` plus each row's condition's gain interval and its corrected significance.

    The interval and test come from ``stats.gains_with_ci`` / ``stats.significance`` (paired by seed
    where seeds match); the correction runs over every tested condition in ``results``, i.e. over
    the grid a page shows. Baseline rows and single-seed (published) rows get no interval and are
    never called significant; ``testable`` tells them apart from tested-and-not-significant cells.
    """
    if results.empty:
        return results.assign(**{c: pd.Series(dtype=object) for c in INTERVAL_COLUMNS})
    tested = significance(gains_with_ci(results), method=method, correction=correction, alpha=alpha)
    tested = tested.assign(testable=tested["p_value"].notna())
    tested = tested.rename(columns={"ci_low": "gain_low", "ci_high": "gain_high", "n": "gain_n"})
    keep = [*CONDITION_COLUMNS, *INTERVAL_COLUMNS]
    return results.merge(tested[keep].drop_duplicates(CONDITION_COLUMNS), on=CONDITION_COLUMNS, how="left")


def language_means(results: pd.DataFrame) -> pd.DataFrame:
    """One row per run, seed and task: the printed mean over languages if there is one, else the mean
    of the languages present (``notes`` says how many), so task-level gains keep their seeds."""
    printed = results[results["language"] == LANGUAGE_MEAN]
    per_language = results[results["language"] != LANGUAGE_MEAN]
    keys = [c for c in results.columns if c not in ("result_id", "language", "value", "notes", "provenance",
                                                    "created_at", "uncertain", "test_artifact", "printed_delta")]
    has_printed = per_language.set_index(keys).index.isin(printed.set_index(keys).index) if not printed.empty else \
        pd.Series(False, index=per_language.index).to_numpy()
    to_average = per_language[~has_printed]
    if to_average.empty:
        return printed.reset_index(drop=True)
    averaged = to_average.groupby(keys, dropna=False, as_index=False).agg(
        value=("value", "mean"),
        n_languages=("language", "nunique"),
        uncertain=("uncertain", "any"),
        test_artifact=("test_artifact", "any"),
        provenance=("provenance", lambda s: "; ".join(sorted(set(s)))),
    )
    averaged = averaged.assign(language=LANGUAGE_MEAN,
                               notes="mean of " + averaged.pop("n_languages").astype(str) + " languages")
    return pd.concat([printed, averaged], ignore_index=True)


@dataclass(frozen=True)
class OverviewIntervals:
    """Task-level gain intervals and significance, shaped like ``OverviewTable.values``."""

    half_width: pd.DataFrame  # half the CI width (NaN: no interval)
    n: pd.DataFrame  # seeds behind each cell
    dimmed: pd.DataFrame  # True where a tested gain is not significant after correction
    significant: pd.DataFrame  # True where a tested gain is significant after correction
    note: pd.DataFrame  # CI and test notes for hover text


def _interval_note(ci_note: object, p_note: object, p_adjusted: float) -> str:
    parts = [str(n) for n in (ci_note, p_note) if isinstance(n, str) and n]
    if p_adjusted == p_adjusted:  # not NaN: the cell was tested
        parts.append(f"adjusted p = {p_adjusted:.3g}")
    return "; ".join(dict.fromkeys(parts))


def overview_intervals(results: pd.DataFrame, qa_metric: str = "f1", method: str = "permutation",
                       correction: str = "holm", alpha: float = 0.05) -> OverviewIntervals:
    """Per (intermediate task, MLM) × target task: the interval of the gain in the language mean,
    paired by seed, and whether it survives the correction across the whole table."""
    frame = _shown_metric_rows(results, qa_metric)
    tested = with_gain_intervals(language_means(frame), method=method, correction=correction, alpha=alpha)
    tested = tested[tested["intermediate_task"] != BASELINE]
    if tested.empty:
        empty = pd.DataFrame()
        return OverviewIntervals(empty, empty, empty, empty, empty)
    cells = tested.groupby(["intermediate_task", "mlm_cotraining", "target_task"], as_index=False).first()
    cells = cells.assign(
        row=[_row_label(i, bool(m)) for i, m in zip(cells["intermediate_task"], cells["mlm_cotraining"])],
        column=cells["target_task"].map(display_name),
        half_width=(cells["gain_high"] - cells["gain_low"]) / 2,
        dimmed=cells["testable"].fillna(False).astype(bool) & ~cells["significant"].fillna(False).astype(bool),
        note=[_interval_note(c, p, q) for c, p, q in zip(cells["ci_note"], cells["p_note"], cells["p_adjusted"])],
    )
    return OverviewIntervals(
        half_width=_wide(cells, "half_width"),
        n=_wide(cells.rename(columns={"gain_n": "n_seeds"}), "n_seeds"),
        dimmed=_wide(cells, "dimmed").fillna(False).astype(bool),
        significant=_wide(cells.assign(sig=cells["significant"].fillna(False).astype(bool)), "sig")
        .fillna(False).astype(bool),
        note=_wide(cells, "note"),
    )

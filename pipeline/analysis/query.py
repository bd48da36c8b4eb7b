"""Slices of the stored results, answered where the data lives: DuckDB over the store's Parquet
snapshot plus the rows written since.

A page never needs every row at once: the sidebar filters and the page's own selectors name a slice
(one grid, one target task, one model family), and gains, gaps and intervals are computed on that
slice only. So the whole table stays on disk; what comes back is one slice, or the distinct values a
selector offers, typed exactly as ``ResultsStore.read_results()`` types them (the analysis functions
give the same numbers on either). Callers ask through :class:`ResultsQuery` and never see the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import duckdb
import pandas as pd

from pipeline.store import RESULT_COLUMNS, ResultsStore
from pipeline.store.schema import PANDAS_DTYPES

#: DuckDB's share of the process: the dashboard's memory goal is a few GB in all.
_MEMORY_LIMIT = "1GB"
_THREADS = 2
#: More rows than a snapshot can hold: ``_part * _PART_STRIDE + _row`` orders rows as ``(_part, _row)``.
_PART_STRIDE = 10**13


def _frozen(selections: Mapping[str, Iterable[object] | None]) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """Selections as sorted tuples of plain Python values (a cache key and SQL parameters)."""
    plain = {column: tuple(v.item() if hasattr(v, "item") else v for v in (values if values is not None else ()))
             for column, values in selections.items()}
    return tuple(sorted((column, values) for column, values in plain.items() if values))


@dataclass(frozen=True)
class Slice:
    """Which rows: per column the values to keep (empty keeps all) or to drop, columns that must be
    present, and whether rows flagged uncertain or marked test artefacts count. Hashable, so it is
    a cache key."""

    keep: tuple[tuple[str, tuple[object, ...]], ...] = ()
    drop: tuple[tuple[str, tuple[object, ...]], ...] = ()
    present: tuple[str, ...] = ()
    uncertain: bool = True
    test_artifacts: bool = True
    #: (columns, text): rows where the columns joined by spaces contain ``text``, ignoring case.
    search: tuple[tuple[str, ...], str] | None = None

    def keeping(self, **selections: Iterable[object] | None) -> Slice:
        """This slice narrowed to the given values of more columns (an empty selection keeps all)."""
        return replace(self, keep=_frozen({**dict(self.keep), **selections}))

    def dropping(self, **values: Iterable[object]) -> Slice:
        return replace(self, drop=_frozen({**dict(self.drop), **values}))

    def requiring(self, *columns: str) -> Slice:
        return replace(self, present=tuple(sorted({*self.present, *columns})))

    def containing(self, text: str, columns: Sequence[str]) -> Slice:
        """Rows whose ``columns`` (joined by spaces) contain ``text``, ignoring case; all rows for no text."""
        return replace(self, search=(tuple(columns), text) if text else None)

    def sql(self) -> tuple[str, list[object]]:
        """The WHERE clause (``TRUE`` for everything) and its parameters."""
        clauses, params = ["TRUE"], []
        for column, values in self.keep:
            clauses.append(f"{_column(column)} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        for column, values in self.drop:
            clauses.append(f"{_column(column)} NOT IN ({', '.join('?' * len(values))})")
            params.extend(values)
        clauses.extend(f"{_column(column)} IS NOT NULL" for column in self.present)
        if not self.uncertain:
            clauses.append("NOT uncertain")
        if not self.test_artifacts:
            clauses.append("NOT test_artifact")
        if self.search is not None:
            columns, text = self.search
            clauses.append(f"contains(lower(concat_ws(' ', {', '.join(map(_column, columns))})), lower(?))")
            params.append(text)
        return " AND ".join(clauses), params


EVERYTHING = Slice()


def _column(name: str) -> str:
    if name not in PANDAS_DTYPES:
        raise ValueError(f"no column {name!r} in the results")
    return f'"{name}"'


@dataclass
class ResultsQuery:
    """Every stored row as one DuckDB view over the snapshot and the rows since, opened once per
    data version; safe to share between threads (each query runs on its own cursor)."""

    store: ResultsStore
    _connection: duckdb.DuckDBPyConnection = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        parts = self.store.snapshot_parts()
        self._connection, n_rows = self._open(parts)
        if n_rows != parts.n_rows:  # a snapshot that does not add up: write a fresh one
            self._connection, _ = self._open(self.store.snapshot_parts(rewrite=True))

    @staticmethod
    def _open(parts: object) -> tuple[duckdb.DuckDBPyConnection, int]:
        """A connection with the ``results`` view over ``parts``, and how many rows the view holds
        (counted from the snapshot's metadata, never by a scan)."""
        connection = duckdb.connect(config={"memory_limit": _MEMORY_LIMIT, "threads": _THREADS})
        since = parts.since  # type: ignore[attr-defined]
        connection.register("since_frame", since)
        connection.execute("CREATE TABLE since AS SELECT *, row_number() OVER () AS _row FROM since_frame")
        connection.unregister("since_frame")
        columns = ", ".join(f'"{c}"' for c in RESULT_COLUMNS)
        parts_sql = [f"SELECT {columns}, 1 AS _part, _row FROM since"]
        n_rows = len(since)
        if parts.file is not None:  # type: ignore[attr-defined]
            path = str(parts.file).replace("'", "''")  # type: ignore[attr-defined]
            snapshot = f"read_parquet('{path}', file_row_number = true)"
            replaced = 0
            if len(since):  # rows changed since the snapshot: found once here, so a query never joins on the ids
                connection.execute(f"CREATE TABLE replaced AS SELECT file_row_number AS _row FROM {snapshot} "
                                   "WHERE result_id IN (SELECT result_id FROM since)")
                replaced = connection.execute("SELECT count(*) FROM replaced").fetchall()[0][0]
            parts_sql.insert(0, f"SELECT {columns}, 0 AS _part, file_row_number AS _row FROM {snapshot}"
                                + (" WHERE file_row_number NOT IN (SELECT _row FROM replaced)" if replaced else ""))
            n_rows += connection.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0] - replaced
        connection.execute(f"CREATE VIEW results AS {' UNION ALL '.join(parts_sql)}")
        return connection, n_rows

    def _run(self, sql: str, params: Sequence[object]) -> pd.DataFrame:
        with self._lock:
            cursor = self._connection.cursor()
        try:
            return cursor.sql(sql, params=list(params)).to_arrow_table().to_pandas()
        finally:
            cursor.close()

    def rows(self, where: Slice = EVERYTHING, columns: Sequence[str] | None = None,
             limit: int | None = None) -> pd.DataFrame:
        """The rows of the slice in the store's order (as ``read_results`` has them), typed for analysis;
        the first ``limit`` of them if given."""
        columns = list(columns or RESULT_COLUMNS)
        condition, params = where.sql()
        head = f" LIMIT {int(limit)}" if limit is not None else ""
        frame = self._run(f"SELECT {', '.join(map(_column, columns))} FROM results WHERE {condition} "
                          f"ORDER BY _part, _row{head}", params)
        return frame.astype({c: PANDAS_DTYPES[c] for c in columns})

    def first_rows(self, by: Sequence[str], where: Slice = EVERYTHING,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The first stored row of each group of ``by`` in the slice (``drop_duplicates(by)`` of ``rows``),
        only ``columns`` of it if given (every column means decoding every column of the slice)."""
        columns = list(columns or RESULT_COLUMNS)
        condition, params = where.sql()
        key = f"(_part * {_PART_STRIDE} + _row)"  # a row's place in the store's order, as one number
        frame = self._run(f"SELECT {', '.join(map(_column, columns))} FROM results WHERE {condition} "
                          f"AND {key} IN (SELECT min({key}) FROM results WHERE {condition} "
                          f"GROUP BY {', '.join(map(_column, by))}) ORDER BY _part, _row", [*params, *params])
        return frame.astype({c: PANDAS_DTYPES[c] for c in columns})

    def distinct(self, columns: Sequence[str], where: Slice = EVERYTHING) -> pd.DataFrame:
        """The distinct combinations of ``columns`` in the slice, sorted (missing values last)."""
        names = ", ".join(map(_column, columns))
        condition, params = where.sql()
        frame = self._run(f"SELECT DISTINCT {names} FROM results WHERE {condition} ORDER BY {names} NULLS LAST",
                          params)
        return frame.astype({c: PANDAS_DTYPES[c] for c in columns})

    def count_by(self, where: Slice, column: str) -> pd.Series:
        """Rows per value of ``column`` in the slice (missing values left out), by value."""
        counts = self.aggregate([column], {"n": "count(*)"}, where.requiring(column))
        return counts.astype({column: PANDAS_DTYPES[column]}).set_index(column)["n"].rename_axis(column)

    def count(self, where: Slice = EVERYTHING) -> int:
        condition, params = where.sql()
        return int(self._run(f"SELECT count(*) AS n FROM results WHERE {condition}", params)["n"].iloc[0])

    def aggregate(self, by: Sequence[str], measures: Mapping[str, str], where: Slice = EVERYTHING) -> pd.DataFrame:
        """Per group of ``by``: named aggregates (``{"rows": "count(*)", "models": "count(DISTINCT model)"}``),
        computed by the engine, in group order."""
        names = ", ".join(map(_column, by))
        selected = ", ".join(f'{expression} AS "{name}"' for name, expression in measures.items())
        condition, params = where.sql()
        return self._run(f"SELECT {names}, {selected} FROM results WHERE {condition} GROUP BY {names} "
                         f"ORDER BY {names}", params)

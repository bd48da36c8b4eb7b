"""Reading the whole results table fast: a Parquet snapshot plus the rows written since.

Turning a million database rows into Python objects takes seconds; reading them from Parquet takes a
fraction of that. So a reader keeps a snapshot of what it read (next to a SQLite store; in this
machine's work folder, named by the store's id, for a PostgreSQL one), and the next reader (in any
process) reads the snapshot and only the rows written after it. That is exact because rows are only
ever appended: a changed row is deleted and inserted again (see ``db.py``), so the rows with a rowid
above the snapshot's last one are precisely the new and changed ones.

A snapshot names the store it was read from (a random id made when the store was created), so a
re-created store never matches an old file; one that does not add up to the store's row count is
not trusted. Writing it is best-effort: a read-only or full disk only means reading from the database.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.store.database import Connection
from pipeline.store.places import work_root
from pipeline.store.schema import PANDAS_DTYPES, RESULT_COLUMNS

SUFFIX = ".snapshot.parquet"
_METADATA_KEY = b"transfer_atlas"
#: Write a new snapshot when at least this many rows (and this share of them) came from the database.
_REWRITE_ROWS = 10_000
_REWRITE_SHARE = 0.05
_FETCH_ROWS = 100_000


@dataclass(frozen=True)
class StoreState:
    """What a snapshot must match: the store, its schema, and how far it has been read."""

    store_id: str
    schema_version: int
    last_rowid: int
    n_rows: int


def snapshot_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + SUFFIX)


def cached_snapshot_path(store_id: str) -> Path:
    """Where this machine keeps the snapshot of a database store (its id is random per store)."""
    return work_root() / "snapshots" / f"{store_id}{SUFFIX}"


def store_id(conn: Connection) -> str:
    return str(conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0])


def current_state(conn: Connection) -> StoreState:
    """The store's state as seen by ``conn``'s read transaction."""
    last_rowid = int(conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM results").fetchone()[0])
    # The import log counts every stored row (an invariant integrity_problems() checks), cheaper than COUNT(*).
    n_rows = int(conn.execute("SELECT COALESCE(SUM(n_new), 0) FROM imports").fetchone()[0])
    return StoreState(store_id(conn), conn.version("results"), last_rowid, n_rows)


def read_rows(conn: Connection, after_rowid: int = 0) -> pd.DataFrame:
    """Rows with a rowid above ``after_rowid``, in rowid order, typed for analysis."""
    query = f"SELECT {', '.join(RESULT_COLUMNS)} FROM results WHERE rowid > ? ORDER BY rowid"
    chunks = []
    for rows in conn.stream(query, (after_rowid,), _FETCH_ROWS):  # chunks bound the memory of Python rows
        chunks.append(_typed(pd.DataFrame.from_records(rows, columns=RESULT_COLUMNS)))
    if not chunks:
        return _typed(pd.DataFrame(columns=RESULT_COLUMNS))
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(PANDAS_DTYPES)


def read_all(conn: Connection, path: Path) -> tuple[pd.DataFrame, StoreState | None]:
    """Every row as of ``conn``'s read transaction, and the state to save a new snapshot under (or None)."""
    state = current_state(conn)
    frame, from_database = None, 0
    base = _read_snapshot(path, state)
    if base is not None:
        snapshot, last_rowid = base
        delta = read_rows(conn, last_rowid)
        frame = snapshot
        if len(delta):  # a changed row is in both: keep its new version
            frame = pd.concat([snapshot[~snapshot["result_id"].isin(delta["result_id"])], delta], ignore_index=True)
        from_database = len(delta)
    if frame is None or len(frame) != state.n_rows:  # no snapshot, or one that does not add up
        frame = read_rows(conn)
        from_database = len(frame)
    worth_saving = from_database >= max(_REWRITE_ROWS, _REWRITE_SHARE * len(frame))
    return frame, state if worth_saving else None


def _snapshot_rowid(parquet: pq.ParquetFile, state: StoreState) -> int | None:
    """The last rowid of a snapshot of this store and schema (from its metadata alone), else None."""
    saved = json.loads(parquet.schema_arrow.metadata[_METADATA_KEY])
    if (saved["store_id"], saved["schema_version"]) != (state.store_id, state.schema_version):
        return None
    if saved["last_rowid"] > state.last_rowid or parquet.metadata.num_rows != saved["n_rows"]:
        return None
    if parquet.schema_arrow.names != list(RESULT_COLUMNS):
        return None
    return saved["last_rowid"]


def _read_snapshot(path: Path, state: StoreState) -> tuple[pd.DataFrame, int] | None:
    """The snapshot's rows and last rowid, or None if there is none for this store and schema."""
    try:
        parquet = pq.ParquetFile(path)  # one open file: metadata and rows cannot come from two snapshots
        last_rowid = _snapshot_rowid(parquet, state)
        if last_rowid is None:
            return None
        frame = _typed(parquet.read().to_pandas())
        pa.default_memory_pool().release_unused()  # the decoding buffers: ~0.1 GB at 10^6 rows
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None
    return frame, last_rowid


@dataclass(frozen=True)
class SnapshotParts:
    """The whole table as a Parquet file plus the rows written since, for engines that query files.

    The table is ``file``'s rows whose ``result_id`` is not in ``since``, plus ``since`` (a changed
    row is in both: its new version wins). ``file`` is None when every row is in ``since``. The
    parts must add up to ``n_rows``; a reader that finds otherwise asks again with ``rewrite``.
    """

    file: Path | None
    since: pd.DataFrame
    n_rows: int


def read_parts(conn: Connection, path: Path, rewrite: bool = False) -> SnapshotParts:
    """The snapshot and the rows since, as of ``conn``'s read transaction; streams a new snapshot
    first when many rows would otherwise come from the database (or ``rewrite``), so no whole table is
    held in memory."""
    state = current_state(conn)
    last_rowid = None if rewrite else _valid_rowid(path, state)
    behind = state.last_rowid - (last_rowid or 0)
    if (rewrite or behind >= max(_REWRITE_ROWS, _REWRITE_SHARE * state.n_rows)) and stream_snapshot(conn, path, state):
        last_rowid = state.last_rowid
    return SnapshotParts(path if last_rowid is not None else None, read_rows(conn, last_rowid or 0), state.n_rows)


def _valid_rowid(path: Path, state: StoreState) -> int | None:
    try:
        return _snapshot_rowid(pq.ParquetFile(path), state)
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None


def stream_snapshot(conn: Connection, path: Path, state: StoreState) -> bool:
    """Write the snapshot from the database chunk by chunk (bounded memory at any size); False if the
    directory is not writable."""
    query = f"SELECT {', '.join(RESULT_COLUMNS)} FROM results WHERE rowid <= ? ORDER BY rowid"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    schema = pa.Schema.from_pandas(_typed(pd.DataFrame(columns=RESULT_COLUMNS)), preserve_index=False)
    schema = schema.with_metadata({**(schema.metadata or {}), _METADATA_KEY: json.dumps(asdict(state)).encode()})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(path)
        with pq.ParquetWriter(temporary, schema) as writer:
            for rows in conn.stream(query, (state.last_rowid,), _FETCH_ROWS):
                chunk = _typed(pd.DataFrame.from_records(rows, columns=RESULT_COLUMNS))
                writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        return False
    return True


def write_snapshot(frame: pd.DataFrame, path: Path, state: StoreState) -> None:
    """Replace the snapshot atomically; give up quietly if the directory is not writable."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), _METADATA_KEY: json.dumps(asdict(state)).encode()}
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(path)
        pq.write_table(table.replace_schema_metadata(metadata), temporary)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def _remove_abandoned(path: Path) -> None:
    """Delete half-written snapshots of readers that were killed while writing one."""
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        pid = leftover.name.removeprefix(f".{path.name}.").removesuffix(".tmp")
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True

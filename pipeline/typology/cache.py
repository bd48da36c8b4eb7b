"""The shipped distance table (``data/typology/distances.csv``): read once per process, written atomically.

Long format, one row per ordered pair (both orders and the diagonal), so the dashboard filters
instead of importing lang2vec (~3 s), its ``fam`` set (~5 s) or integrating URIEL+ (~70 s).
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

import pandas as pd

#: Columns of a distance table, in file order.
COLUMNS: tuple[str, ...] = ("lang_a", "lang_b", "distance_type", "value", "source")
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / "data" / "typology" / "distances.csv"
_GROUP = ["source", "distance_type"]


def read_cache(path: str | os.PathLike[str] | None = None) -> dict[tuple[str, str], pd.DataFrame]:
    """The cached table split by (source, distance_type); empty if the file does not exist."""
    path = Path(path or DEFAULT_CACHE)
    if not path.exists():
        return {}
    stat = path.stat()
    return _read(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read(path: str, inode: int, mtime_ns: int, size: int) -> dict[tuple[str, str], pd.DataFrame]:
    """Parsed file, keyed by its identity so a rewritten (atomically replaced) cache is read again."""
    text = {c: str for c in COLUMNS if c != "value"}
    frame = pd.read_csv(path, dtype={**text, "value": float}, keep_default_na=False, na_values={"value": [""]})
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path} is not a distance table (missing column(s) {', '.join(missing)}); "
            "rebuild it with `python -m pipeline typology --force`"
        )
    return {key: group.reset_index(drop=True) for key, group in frame[list(COLUMNS)].groupby(_GROUP, sort=False)}


def cached_languages(path: str | os.PathLike[str] | None = None) -> dict[tuple[str, str], frozenset[str]]:
    """Languages covered per (source, distance_type) in the cache."""
    return {key: frozenset(group["lang_a"].unique()) for key, group in read_cache(path).items()}


def write_cache(table: pd.DataFrame, path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``table`` (COLUMNS) to ``path`` atomically: a reader sees the old file or the new one."""
    ordered = table[list(COLUMNS)].sort_values(["source", "distance_type", "lang_a", "lang_b"])
    return write_atomic(ordered, Path(path or DEFAULT_CACHE))


def write_atomic(frame: pd.DataFrame, path: Path, float_format: str = "%.6f") -> Path:
    """Write a shipped CSV so that a reader sees the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False, float_format=float_format)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; this is a shipped data file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

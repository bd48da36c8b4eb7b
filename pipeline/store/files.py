"""Results files in the store schema: reading a CSV a person made, writing the whole store out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.store.schema import REQUIRED_COLUMNS, RESULT_COLUMNS

EXPORT_SUFFIXES = (".csv", ".parquet")


class ResultsFileError(ValueError):
    """A results file cannot be read as the store schema; the message says why."""


def read_results_csv(path: str | Path) -> list[dict[str, object]]:
    """Rows of a CSV in the store schema, or ResultsFileError for a file that is not one.

    Only the file's shape is checked here; each value is checked by the store's validation.
    """
    path = Path(path)
    if not path.is_file():
        raise ResultsFileError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"{path}: not a readable CSV file ({exc})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ResultsFileError(f"{path}: missing column(s) {', '.join(missing)}; required: {', '.join(REQUIRED_COLUMNS)}")
    unknown = [c for c in frame.columns if c not in RESULT_COLUMNS]
    if unknown:
        raise ResultsFileError(f"{path}: unknown column(s) {', '.join(unknown)}; known: {', '.join(RESULT_COLUMNS)}")
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def write_results(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` (the store's columns) as CSV or Parquet, chosen by the file's suffix."""
    path = Path(path)
    if path.suffix not in EXPORT_SUFFIXES:
        raise ResultsFileError(f"{path}: choose a .csv or .parquet file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = frame[list(RESULT_COLUMNS)]
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path

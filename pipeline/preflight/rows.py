"""Columns and labels of a split judged from its first rows (a mirror's first lines, or the hub's first streamed
rows): the same dotted column names ``pipeline.data.load`` maps, and label values the registry can name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pipeline.preflight.needs import DataNeed

#: Rows read to judge a split: enough to see a column's type, never a download.
FIRST_ROWS = 5


def flat_columns(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``row`` with nested mappings flattened to dotted names (as ``Dataset.flatten`` names them)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flat_columns(value, f"{name}."))
        else:
            out[name] = value
    return out


def missing_columns(need: DataNeed, available: Iterable[str]) -> str:
    """'' when every column the run reads exists, else a reason naming what is missing and what exists."""
    available = list(available)
    missing = [c for c in need.columns() if c not in available]
    if not missing:
        return ""
    return f"no column(s) {', '.join(missing)}; it has {', '.join(available)}"


def bad_labels(need: DataNeed, values: Sequence[Any]) -> str:
    """'' when the label values of the first rows are ones the registry can name, else why not."""
    names = need.label_names
    if names is None:
        return ""
    flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
    strings = {v for v in flat if isinstance(v, str)}
    unknown = sorted(strings - set(names))
    if unknown:
        return f"label(s) {', '.join(map(repr, unknown[:5]))} are not among the registry's {', '.join(names)}"
    too_big = [v for v in flat if isinstance(v, int) and not isinstance(v, bool) and v >= len(names)]
    if too_big:
        return f"label id {max(too_big)} is beyond the registry's {len(names)} names"
    return ""


def judge_rows(need: DataNeed, rows: Sequence[Mapping[str, Any]]) -> str:
    """'' when the first ``rows`` have the run's columns and nameable labels, else the first problem."""
    if not rows:
        return "the split is empty"
    flat = [flat_columns(row) for row in rows]
    problem = missing_columns(need, flat[0])
    if problem:
        return problem
    column = need.label_column()
    return bad_labels(need, [row[column] for row in flat]) if column else ""

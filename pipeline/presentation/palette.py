"""One colour per language, task and model, the same on every page and in every export.

Categorical colours come from Paul Tol's colour-blind-safe schemes (bright + muted, 16 colours);
an entity's colour is fixed by its position in the registry's (or the model table's) order, so a
language keeps its colour whatever else is on the chart.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterable
from functools import cache

from pipeline.published.importer import MODELS_CSV
from pipeline.tasks import all_target_ids, intermediate_tasks, target_tasks

#: Paul Tol, "Colour schemes" (2021): bright (7) then muted (9), all distinguishable with colour-blindness.
COLOURS: tuple[str, ...] = (
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
)
#: Diverging and sequential scales that stay readable with colour-blindness.
DIVERGING = "RdBu"
SEQUENTIAL = "Viridis"


@cache
def _order(kind: str) -> tuple[str, ...]:
    if kind == "language":
        seen: dict[str, None] = {}
        for task in target_tasks().values():
            seen.update(dict.fromkeys(sorted(task.languages)))
        return tuple(sorted(seen))
    if kind == "task":
        return (*all_target_ids(), "none", *intermediate_tasks())
    if kind == "model":
        with open(MODELS_CSV, encoding="utf-8") as fh:
            return tuple(dict.fromkeys(r["model"] for r in csv.DictReader(fh)))
    raise ValueError(f"unknown kind {kind!r}: language, task or model")


def colour_of(kind: str, name: str) -> str:
    """The fixed colour of a language, task or model; unknown names get a stable hashed colour."""
    order = _order(kind)
    index = order.index(name) if name in order else zlib.crc32(name.encode("utf-8"))
    return COLOURS[index % len(COLOURS)]


def colour_map(kind: str, names: Iterable[str]) -> dict[str, str]:
    """``{name: colour}`` for plotly's ``color_discrete_map``."""
    return {name: colour_of(kind, name) for name in names}

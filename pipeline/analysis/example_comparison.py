"""Two stored conditions of one task read side by side from the example store, and the comparison the Examples
page and the ``examples`` command show (statistics from ``pipeline.analysis.examples``).

A condition is a run and one of its evaluation conditions (``none`` for clean inputs), or all of them:
comparing two runs over every perturbation pairs each example with itself under the same perturbation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.analysis.examples import (
    NUMERIC_ATTRIBUTES,
    McNemar,
    bucket_edges,
    bucket_scores,
    flip_table,
    gain_by_language,
    mcnemar,
    metric_name,
    pair_conditions,
    resolve_attribute,
)
from pipeline.examples.records import INPUT_COLUMNS
from pipeline.examples.store import ExamplesError, ExampleStore

#: A condition's ``perturbation`` meaning every evaluation condition of the run.
EVERY_CONDITION = "*"


@dataclass(frozen=True)
class Side:
    """One of the two compared prediction sets."""

    run_id: str
    perturbation: str = "none"

    def perturbations(self) -> list[str] | None:
        return None if self.perturbation == EVERY_CONDITION else [self.perturbation]


def read_pair(store: ExampleStore, task_id: str, a: Side, b: Side, languages: Sequence[str] | None = None,
              inputs: Sequence[str] | bool = True) -> pd.DataFrame:
    """The examples both sides scored (``pair_conditions``), in ``languages`` (None: all); with only some
    ``inputs`` columns, outcomes without texts (what statistics over every language need), and without keys
    where both sides' rows are the same examples in the same order (one inputs file, the same conditions)."""
    if (a.perturbation == EVERY_CONDITION) != (b.perturbation == EVERY_CONDITION):
        raise ExamplesError("compare every perturbation on both sides, or one condition on each")
    full = inputs is True
    lined_up = (not full and a.perturbation == b.perturbation
                and store.inputs_of(a.run_id, task_id) == store.inputs_of(b.run_id, task_id))
    wanted_b = inputs if isinstance(inputs, bool) else [c for c in inputs if c in INPUT_COLUMNS]
    frame_b = store.read(b.run_id, task_id, languages, b.perturbations(), inputs=wanted_b, outcomes_only=not full,
                         keys=not lined_up)
    frame_a = store.read(a.run_id, task_id, languages, a.perturbations(), inputs=["text"] if full else False,
                         outcomes_only=not full, keys=not lined_up)
    for side, frame in (("A", frame_a), ("B", frame_b)):
        if frame.empty:
            raise ExamplesError(f"condition {side} ({side_name(a if side == 'A' else b)}) has no stored examples "
                                f"of {task_id!r}{' in ' + ', '.join(languages) if languages else ''}")
    return pair_conditions(frame_a, frame_b, by_perturbation=a.perturbation == EVERY_CONDITION, lined_up=lined_up)


def side_name(side: Side) -> str:
    return f"run {side.run_id}, {'every condition' if side.perturbation == EVERY_CONDITION else side.perturbation}"


@dataclass(frozen=True)
class Comparison:
    """Everything the Examples page and the ``examples`` command show for one task, language and two sides."""

    paired: pd.DataFrame          # the language's paired examples, with inputs
    attribute: str                # the bucket attribute resolved on them
    edges: list[float]            # numeric buckets' upper edges (pooled over languages); empty for categories
    metric: str
    flips: pd.DataFrame
    test: McNemar
    buckets: pd.DataFrame         # per bucket: both scores, the gain, intervals, flips
    by_language: pd.DataFrame     # per language and bucket: the gain (heatmap cells)


def compare(store: ExampleStore, task_id: str, a: Side, b: Side, language: str, attribute: str = "length",
            n_boot: int = 1000, paired: pd.DataFrame | None = None) -> Comparison:
    """The example-level comparison of ``a`` against ``b`` on ``task_id`` in ``language`` (``paired``: that
    language's ``read_pair``, if already read), and per bucket in every language both sides share
    (ValueError/ExamplesError with a message when it cannot be made)."""
    paired = read_pair(store, task_id, a, b, [language]) if paired is None else paired
    resolved = resolve_attribute(attribute, paired)
    every = read_pair(store, task_id, a, b, None, inputs=[resolved] if resolved in INPUT_COLUMNS else False)
    edges = bucket_edges(every[resolved]) if resolved in NUMERIC_ATTRIBUTES else []
    flips = flip_table(paired)
    counts = dict(zip(flips["flip"], flips["n"]))
    return Comparison(
        paired=paired, attribute=resolved, edges=edges, metric=metric_name(task_id),
        flips=flips, test=mcnemar(counts["wrong→right"], counts["right→wrong"]),
        buckets=bucket_scores(paired, resolved, edges, n_boot=n_boot),
        by_language=gain_by_language(every, resolved, edges))

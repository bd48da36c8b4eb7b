"""The ledger: every claim evaluated on one set of results, with its verdict, deciding numbers and provenance.

A check first measures its units (``measures``), then asks whether the rows it names are all there:
every task, language or model a ``rows`` filter lists must appear among the measured units,
otherwise the claim cannot be tested and the verdict names the missing rows (``target_task=mnli``)
and why other units could not be measured. Only then is it decided (``verdicts``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.analysis.claims.measures import (
    ResultsView,
    Units,
    correlation_units,
    fit_units,
    gain_units,
    robustness_units,
    value_units,
)
from pipeline.analysis.claims.spec import Claim
from pipeline.analysis.claims.verdicts import (
    Verdict,
    combine,
    decide_compare,
    decide_ranking,
    decide_threshold,
    untestable,
)

LEDGER_COLUMNS = ["id", "source", "version", "where", "sentence", "reading", "verdict", "numbers", "reason",
                  "provenance", "target_tasks", "source_ids", "models", "splits"]

_MEASURES: dict[str, Callable[[ResultsView, Mapping[str, Any]], Units]] = {
    "gain": lambda view, check: gain_units(view, check.get("rows")),
    "correlation": correlation_units,
    "fit": fit_units,
    "robustness": robustness_units,
    "ranking": lambda view, check: (gain_units if check.get("by", "gain") == "gain" else value_units)(
        view, check.get("rows")),
}


#: Filters that name things a claim is about: each value listed must be measured. Other filters
#: (kind, MLM, split, …) only narrow the rows; if nothing is left the claim is untestable anyway.
NAMED_COLUMNS = ("target_task", "intermediate_task", "intermediate_languages", "language", "model", "metric")


def missing_rows(units: pd.DataFrame, rows: Mapping[str, Any] | None) -> list[str]:
    """``column=value`` for every named value a filter lists that no measured unit has."""
    missing = []
    for column, wanted in (rows or {}).items():
        if isinstance(wanted, Mapping) or column not in NAMED_COLUMNS or column not in units.columns:
            continue
        present = set(units[column].dropna().tolist())
        missing += [f"{column}={value}" for value in (wanted if isinstance(wanted, list) else [wanted])
                    if value not in present]
    return missing


def _gaps(units: Units, rows: Mapping[str, Any] | None) -> str:
    """Why these units cannot decide a claim ('' if they can)."""
    missing = missing_rows(units.frame, rows)
    if not missing and not units.frame.empty:
        return ""
    said = [f"missing rows: {', '.join(missing)}"] if missing else []
    if units.frame.empty:
        wanted = ", ".join(f"{c}={v}" for c, v in (rows or {}).items())
        said.append(f"nothing measurable among rows with {wanted}" if wanted else "nothing measurable in these results")
    return "; ".join(said + units.refusals[:3])


def _unranked(units: pd.DataFrame, check: Mapping[str, Any]) -> str:
    """The claimed top entries none of whose alternatives was measured ('' if all were)."""
    by = check.get("rank", "intermediate_task")
    absent = [entry for entry in check["top"] if not set(entry.split("|")) & set(units[by])]
    return f"missing rows: {', '.join(f'{by}={entry}' for entry in absent)}" if absent else ""


def _side(view: ResultsView, side: Mapping[str, Any]) -> Units:
    measure = gain_units if side.get("of", "gain") == "gain" else value_units
    return measure(view, side.get("rows"))


def evaluate_check(check: Mapping[str, Any], results: pd.DataFrame | ResultsView) -> Verdict:
    """The verdict of one (validated) check on ``results``."""
    view = results if isinstance(results, ResultsView) else ResultsView(results)
    kind = check["kind"]
    if kind == "all_of":
        return combine([evaluate_check(part, view) for part in check["checks"]])
    if kind == "compare":
        a, b = _side(view, check["a"]), _side(view, check["b"])
        gaps = [f"{name}: {gap}" for name, side, units in (("A", check["a"], a), ("B", check["b"], b))
                if (gap := _gaps(units, side.get("rows")))]
        return untestable("; ".join(gaps)) if gaps else decide_compare(a.frame, b.frame, check)
    units = _MEASURES[kind](view, check)
    gap = _gaps(units, check.get("rows"))
    if kind == "ranking" and not gap:
        gap = _unranked(units.frame, check)
    if gap:
        return untestable(gap, units.frame)
    return decide_ranking(units.frame, check) if kind == "ranking" else decide_threshold(units.frame, check)


def _joined(evidence: pd.DataFrame, column: str) -> str:
    if column not in evidence.columns:
        return ""
    return ",".join(sorted({str(v) for v in evidence[column].dropna()}))


def _provenance(evidence: pd.DataFrame) -> str:
    cells = evidence["provenance"] if "provenance" in evidence.columns else []
    return "; ".join(sorted({p for cell in cells if isinstance(cell, list) for p in cell}))


def _flagged(evidence: pd.DataFrame) -> str:
    """A warning when a number behind the verdict is flagged uncertain by its transcription."""
    if "uncertain" not in evidence.columns or not evidence["uncertain"].eq(True).any():
        return ""
    units = evidence.loc[evidence["uncertain"].eq(True), "unit"]
    return f"; † flagged uncertain in the transcription: {', '.join(units.head(3))}"


def ledger(claims: Sequence[Claim], results: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: what it says, its verdict on ``results``, the deciding numbers and their sources."""
    records, view = [], ResultsView(results)
    for claim in claims:
        verdict = evaluate_check(claim.check, view)
        records.append({
            "id": claim.id, "source": claim.source, "version": f"{claim.version} ({claim.version_citation})",
            "where": claim.where, "sentence": claim.sentence, "reading": claim.reading, "verdict": verdict.verdict,
            "numbers": verdict.numbers, "reason": verdict.reason + _flagged(verdict.evidence),
            "provenance": _provenance(verdict.evidence),
            "target_tasks": _joined(verdict.evidence, "target_task"),
            "source_ids": _joined(verdict.evidence, "source_id"), "models": _joined(verdict.evidence, "model"),
            "splits": _joined(verdict.evidence, "split"),
        })
    return pd.DataFrame.from_records(records, columns=LEDGER_COLUMNS)

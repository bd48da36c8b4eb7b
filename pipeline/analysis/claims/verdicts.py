"""Deciding a check from its measured units: holds, does not hold, or cannot be tested.

The rule for uncertainty is one for every kind: a unit supports the claim only if its point value
is on the claimed side of the threshold *and*, when it has an interval (seeds, bootstrap), the whole
interval is on that side too (for a gain claim "> 0": the interval excludes zero upwards). Units
without an interval (published single numbers) are decided on their value, and the verdict says so.
Aggregates of intervals (a mean of gains, a difference of two aggregates) take the same aggregate of
the bounds: the interval the aggregate would have if the units' errors were perfectly correlated,
which is never narrower than the true one, so a claim that passes it is not passed by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.tasks import display_name

HOLDS, FAILS, UNTESTABLE = "holds", "does not hold", "cannot be tested"
VERDICTS = (HOLDS, FAILS, UNTESTABLE)
EVIDENCE_COLUMNS = ["unit", "value", "low", "high", "n", "provenance"]


@dataclass(frozen=True)
class Verdict:
    """A check's outcome: the verdict, the numbers that decided it, why, and every unit used."""

    verdict: str
    numbers: str
    reason: str
    evidence: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EVIDENCE_COLUMNS))


def untestable(reason: str, evidence: pd.DataFrame | None = None) -> Verdict:
    return Verdict(UNTESTABLE, "", reason, evidence if evidence is not None else pd.DataFrame(columns=EVIDENCE_COLUMNS))


def _point(value: float, op: str, threshold: float, tolerance: float) -> bool:
    if value != value:
        return False
    return {">": value > threshold, ">=": value >= threshold, "<": value < threshold, "<=": value <= threshold,
            "≈": abs(value - threshold) <= tolerance}[op]


def _interval(low: float, high: float, op: str, threshold: float, tolerance: float) -> bool:
    """Whether the interval lies on the claimed side (True when there is no interval)."""
    if low != low or high != high:
        return True
    if op == "≈":
        return low >= threshold - tolerance and high <= threshold + tolerance
    return _point(low if op in (">", ">=") else high, op, threshold, tolerance)


def supports(value: float, low: float, high: float, check: Mapping[str, Any]) -> bool:
    """A unit supports the claim: its value, and its interval where it has one, are on the claimed side."""
    args = (check["op"], float(check["threshold"]), float(check.get("tolerance", 0.0)))
    return _point(value, *args) and _interval(low, high, *args)


def fmt(value: float, low: float = np.nan, high: float = np.nan) -> str:
    text = f"{value:+.2f}" if value == value else "n/a"
    return text + (f" [{low:+.2f}, {high:+.2f}]" if low == low and high == high else "")


def _claimed(check: Mapping[str, Any]) -> str:
    if check["op"] == "≈":
        return f"≈ {check['threshold']} ± {check['tolerance']}"
    return f"{check['op']} {check['threshold']}"


def _weakest(units: pd.DataFrame, check: Mapping[str, Any], strongest: bool = False) -> str:
    """The unit closest to failing the claim (or, ``strongest``, the one furthest on the claimed side)."""
    distance = units["value"] - float(check["threshold"])
    if check["op"] in ("<", "<="):
        distance = -distance
    elif check["op"] == "≈":
        distance = -distance.abs()
    row = units.loc[distance.idxmax() if strongest else distance.idxmin()]
    return f"{'strongest' if strongest else 'weakest'}: {row['unit']} {fmt(row['value'], row['low'], row['high'])}"


def _decide_group(units: pd.DataFrame, check: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether one group of units meets the check's statistic, and the numbers that say so."""
    statistic = check.get("statistic", "all")
    if statistic == "mean":
        value = units["value"].mean()
        low, high = (units["low"].mean(), units["high"].mean()) if units["low"].notna().all() else (np.nan, np.nan)
        return supports(value, low, high, check), f"mean of {len(units)} = {fmt(value, low, high)}"
    ok = np.array([supports(v, lo, hi, check) for v, lo, hi in zip(units["value"], units["low"], units["high"])])
    counted = f"{int(ok.sum())}/{len(ok)} {_claimed(check)}"
    if statistic == "all":
        return bool(ok.all()), f"{counted}; {_weakest(units, check)}"
    if statistic == "any":
        return bool(ok.any()), f"{counted}; {_weakest(units, check, strongest=True)}"
    share, needed = float(ok.mean()), float(check["at_least"])
    return share >= needed, f"{counted} = {share:.0%} (needs ≥ {needed:.0%}); {_weakest(units, check)}"


def _interval_note(units: pd.DataFrame) -> str:
    if units["low"].notna().all():
        return "every number has an interval; a unit counts only if its interval is on the claimed side"
    if units["low"].notna().any():
        return "some numbers have intervals (they count only if the interval is on the claimed side), others not"
    return "single values without intervals (no seeds): decided on the values"


def decide_threshold(units: pd.DataFrame, check: Mapping[str, Any]) -> Verdict:
    """Each group (``per``) of units must meet the statistic (all / any / share / mean) against the threshold."""
    per = check.get("per")
    groups = list(units.groupby(per, sort=True)) if per else [("", units)]
    results = [(name, *_decide_group(group, check)) for name, group in groups]
    holds = all(ok for _, ok, _ in results)
    numbers = "; ".join(f"{name}: {text}" if per else text for name, _, text in results)
    failing = [str(name) for name, ok, _ in results if not ok]
    reason = _interval_note(units) + (f"; fails for {', '.join(failing)}" if per and failing else "")
    return Verdict(HOLDS if holds else FAILS, numbers, reason, units)


def decide_ranking(units: pd.DataFrame, check: Mapping[str, Any]) -> Verdict:
    """The claimed tasks (alternatives joined by '|') must be the top k by mean measure; with intervals,
    every claimed one's lower bound must clear every other one's upper bound."""
    by = check.get("rank", "intermediate_task")
    scores = units.groupby(by).agg(value=("value", "mean"), low=("low", "mean"), high=("high", "mean"))
    scores = scores.sort_values("value", ascending=False)
    k = len(check["top"])
    top, rest = scores.head(k), scores.iloc[k:]
    wanted = [set(entry.split("|")) for entry in check["top"]]
    in_top = all(alternatives & set(top.index) for alternatives in wanted)
    separated = True
    if in_top and scores["low"].notna().all() and not rest.empty:
        separated = bool(top["low"].min() > rest["high"].max())
    ranked = ", ".join(f"{i + 1}. {display_name(name)} {fmt(r.value, r.low, r.high)}" for i, (name, r) in
                       enumerate(scores.head(k + 2).iterrows()))
    reason = f"top {k} by mean {check.get('by', 'gain')}: {', '.join(map(display_name, top.index))}"
    if in_top and not separated:
        reason += "; the intervals of the top and the rest overlap"
    return Verdict(HOLDS if in_top and separated else FAILS, ranked, reason, units)


def aggregate(units: pd.DataFrame, how: str) -> tuple[float, float, float]:
    """``how`` (mean / max / min) of the values, and of each bound (NaN if any unit lacks an interval)."""
    value = float(getattr(units["value"], how)())
    if units["low"].notna().all():
        return value, float(getattr(units["low"], how)()), float(getattr(units["high"], how)())
    return value, np.nan, np.nan


def decide_compare(a: pd.DataFrame, b: pd.DataFrame, check: Mapping[str, Any]) -> Verdict:
    """A − B (each side an aggregate of its units) against the threshold, with the bounds' difference."""
    (va, la, ha), (vb, lb, hb) = aggregate(a, check["a"].get("aggregate", "mean")), \
        aggregate(b, check["b"].get("aggregate", "mean"))
    diff, low, high = va - vb, la - hb, ha - lb
    ok = supports(diff, low, high, check)
    numbers = (f"A = {check['a'].get('aggregate', 'mean')} of {len(a)}: {fmt(va, la, ha)}; "
               f"B = {check['b'].get('aggregate', 'mean')} of {len(b)}: {fmt(vb, lb, hb)}; "
               f"A − B = {fmt(diff, low, high)} (claimed {_claimed(check)})")
    evidence = pd.concat([a.assign(unit="A: " + a["unit"]), b.assign(unit="B: " + b["unit"])], ignore_index=True)
    return Verdict(HOLDS if ok else FAILS, numbers, _interval_note(evidence), evidence)


def combine(parts: list[Verdict]) -> Verdict:
    """All of the parts: fails if any fails, else untestable if any is, else holds."""
    verdicts = [p.verdict for p in parts]
    verdict = FAILS if FAILS in verdicts else UNTESTABLE if UNTESTABLE in verdicts else HOLDS
    numbers = " | ".join(f"({i + 1}) {p.numbers}" for i, p in enumerate(parts) if p.numbers)
    said = ", ".join(f"({i + 1}) {p.verdict}" for i, p in enumerate(parts))
    reason = f"parts: {said}; " + "; ".join(dict.fromkeys(p.reason for p in parts))
    evidence = pd.concat([p.evidence for p in parts if not p.evidence.empty] or [pd.DataFrame(columns=EVIDENCE_COLUMNS)],
                         ignore_index=True)
    return Verdict(verdict, numbers, reason, evidence)

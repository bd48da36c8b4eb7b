"""Claims as data: load ``data/claims/*.yaml`` and validate every statement before anything is evaluated.

A claims file names its source (citation, versions) and lists claims: the sentence as published,
where it is, how it is read (``reading``) and a ``check`` over the results schema. Checks are a
small closed set of kinds (``KINDS``); a file that uses anything else is refused with the claim's
id and the field at fault, so a typo never turns into a silently untestable claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.analysis.stats import CONDITION_COLUMNS
from pipeline.tasks import BASELINE, BENCHMARK_AVERAGE, BEST_PER_TARGET, MULTI_PREFIX, all_target_ids, \
    intermediate_tasks
from pipeline.tasks.registry import SAFE_LOADER

CLAIMS_DIR = Path(__file__).resolve().parents[3] / "data" / "claims"

OPS = (">", ">=", "<", "<=", "≈")
STATISTICS = ("all", "any", "share", "mean")
AGGREGATES = ("mean", "max", "min")
#: How ``intermediate_kind`` (a derived column a check may filter on) classes an intermediate task.
INTERMEDIATE_KINDS = ("none", "single", "multi", "best_per_target")
#: Columns a check's ``rows`` may filter on: the condition columns, the derived kind, and (for values) the label.
FILTER_COLUMNS = (*CONDITION_COLUMNS, "intermediate_kind", "model_label")
_THRESHOLD_KINDS = ("gain", "correlation", "fit", "robustness")
KINDS = (*_THRESHOLD_KINDS, "ranking", "compare", "all_of")
FITS = ("log_linear", "saturation")
FIT_PARAMETERS = {"log_linear": ("slope",), "saturation": ("threshold_k",)}


class ClaimsFileError(ValueError):
    """A claims file that cannot be read or checks that are malformed; the message names the claim and field."""


@dataclass(frozen=True)
class Claim:
    """One published sentence and the machine-checkable statement that stands for it."""

    id: str
    source: str  # the file's citation
    version: str  # e.g. 'v1', 'final', 'project'
    version_citation: str
    where: str
    sentence: str
    reading: str
    check: Mapping[str, Any] = field(default_factory=dict)


def intermediate_kind(task: str) -> str:
    """``none``, ``multi``, ``best_per_target`` or ``single``: what a check can select intermediate tasks by."""
    if task == BASELINE:
        return "none"
    if task == BEST_PER_TARGET:
        return "best_per_target"
    return "multi" if task.startswith(MULTI_PREFIX) else "single"


def _fail(where: str, message: str) -> None:
    raise ClaimsFileError(f"{where}: {message}")


def _known_values() -> dict[str, set[str]]:
    return {
        "target_task": {*all_target_ids(), BENCHMARK_AVERAGE},
        "intermediate_task": {*intermediate_tasks(), BASELINE, BEST_PER_TARGET},
        "intermediate_kind": set(INTERMEDIATE_KINDS),
    }


def _check_rows(rows: Any, where: str, allowed: tuple[str, ...]) -> None:
    if rows is None:
        return
    if not isinstance(rows, Mapping):
        _fail(where, "rows must be a mapping column -> value(s)")
    known = _known_values()
    for column, wanted in rows.items():
        if column not in allowed:
            _fail(where, f"rows cannot filter on {column!r}; use one of {', '.join(allowed)}")
        values = wanted.get("not") if isinstance(wanted, Mapping) else wanted
        if isinstance(wanted, Mapping) and set(wanted) != {"not"}:
            _fail(where, f"rows.{column}: a mapping must be {{not: [...]}}")
        for value in values if isinstance(values, list) else [values]:
            if column in known and not (isinstance(value, str) and value.startswith(MULTI_PREFIX)) \
                    and value not in known[column]:
                _fail(where, f"rows.{column}: unknown value {value!r}")


def _check_number(check: Mapping[str, Any], key: str, where: str) -> None:
    if not isinstance(check.get(key), (int, float)) or isinstance(check.get(key), bool):
        _fail(where, f"{key} must be a number, not {check.get(key)!r}")


def _check_comparison(check: Mapping[str, Any], where: str) -> None:
    if check.get("op") not in OPS:
        _fail(where, f"op must be one of {' '.join(OPS)}, not {check.get('op')!r}")
    _check_number(check, "threshold", where)
    if check["op"] == "≈":
        _check_number(check, "tolerance", where)


def _check_threshold_kind(check: Mapping[str, Any], where: str) -> None:
    _check_comparison(check, where)
    statistic = check.get("statistic", "all")
    if statistic not in STATISTICS:
        _fail(where, f"statistic must be one of {', '.join(STATISTICS)}, not {statistic!r}")
    if statistic == "share":
        _check_number(check, "at_least", where)
    if check.get("per") is not None and check["per"] not in FILTER_COLUMNS:
        _fail(where, f"per must be one of {', '.join(FILTER_COLUMNS)}, not {check['per']!r}")
    kind = check["kind"]
    if kind == "correlation":
        x = check.get("x")
        if not isinstance(x, Mapping) or len(x) != 1 or next(iter(x)) not in ("distance", "complexity"):
            _fail(where, "x must be {distance: <type>} or {complexity: <measure>}")
        if check.get("y") not in ("transfer_gap", "gain", "gap_change", "mean_gain"):
            _fail(where, "y must be transfer_gap, gain (per language), gap_change or mean_gain (per task)")
        if check.get("method", "spearman") not in ("pearson", "spearman", "kendall"):
            _fail(where, "method must be pearson, spearman or kendall")
    if kind == "fit":
        fit = check.get("fit")
        if fit not in FITS:
            _fail(where, f"fit must be one of {', '.join(FITS)}, not {fit!r}")
        if check.get("parameter") not in FIT_PARAMETERS[fit]:
            _fail(where, f"parameter of a {fit} fit must be one of {', '.join(FIT_PARAMETERS[fit])}")
        if fit == "saturation":
            _check_number(check, "epsilon", where)


def _check_side(side: Any, where: str) -> None:
    if not isinstance(side, Mapping):
        _fail(where, "must be a mapping with rows, of and aggregate")
    if side.get("of", "gain") not in ("gain", "value"):
        _fail(where, f"of must be gain or value, not {side.get('of')!r}")
    if side.get("aggregate", "mean") not in AGGREGATES:
        _fail(where, f"aggregate must be one of {', '.join(AGGREGATES)}")
    _check_rows(side.get("rows"), where, FILTER_COLUMNS)


def validate_check(check: Any, where: str) -> None:
    """Raise ``ClaimsFileError`` naming ``where`` and the field if ``check`` is not a well-formed statement."""
    if not isinstance(check, Mapping):
        _fail(where, "check must be a mapping with a kind")
    kind = check.get("kind")
    if kind not in KINDS:
        _fail(where, f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "all_of":
        parts = check.get("checks")
        if not isinstance(parts, list) or not parts:
            _fail(where, "all_of needs a non-empty list of checks")
        for i, part in enumerate(parts):
            validate_check(part, f"{where}.checks[{i}]")
        return
    if kind == "compare":
        _check_side(check.get("a"), f"{where}.a")
        _check_side(check.get("b"), f"{where}.b")
        _check_comparison(check, where)
        return
    _check_rows(check.get("rows"), where, FILTER_COLUMNS)
    if kind == "ranking":
        top = check.get("top")
        if not isinstance(top, list) or not top or not all(isinstance(t, str) for t in top):
            _fail(where, "top must be a non-empty list of intermediate task ids (alternatives joined by '|')")
        return
    _check_threshold_kind(check, where)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        _fail(where, f"{key} must be a non-empty text")
    return " ".join(value.split())


def load_claims_file(path: str | Path) -> list[Claim]:
    """Every claim of one file, validated; ``ClaimsFileError`` (naming the file and claim) otherwise."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise ClaimsFileError(f"{path.name}: cannot read: {exc}") from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("claims"), list):
        raise ClaimsFileError(f"{path.name}: needs a source, versions and a list of claims")
    source = _text(raw, "source", path.name)
    versions = raw.get("versions") or {}
    claims: list[Claim] = []
    for i, entry in enumerate(raw["claims"]):
        where = f"{path.name}: claim {entry.get('id', i) if isinstance(entry, Mapping) else i}"
        if not isinstance(entry, Mapping):
            _fail(where, "must be a mapping")
        version = _text(entry, "version", where)
        if version not in versions:
            _fail(where, f"version {version!r} is not one of the file's versions ({', '.join(versions)})")
        validate_check(entry.get("check"), where)
        claims.append(Claim(id=_text(entry, "id", where), source=source, version=version,
                            version_citation=str(versions[version]), where=_text(entry, "where", where),
                            sentence=_text(entry, "sentence", where), reading=_text(entry, "reading", where),
                            check=entry["check"]))
    duplicated = {c.id for c in claims if [d.id for d in claims].count(c.id) > 1}
    if duplicated:
        raise ClaimsFileError(f"{path.name}: duplicate claim ids {', '.join(sorted(duplicated))}")
    return claims


def load_claims(directory: str | Path = CLAIMS_DIR) -> list[Claim]:
    """The claims of every ``*.yaml`` in ``directory`` (file order, then claim order)."""
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise ClaimsFileError(f"no claims files (*.yaml) in {directory}")
    return [claim for path in files for claim in load_claims_file(path)]

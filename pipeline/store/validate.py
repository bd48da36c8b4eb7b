"""Validation of result rows before they reach the store.

Every row is checked against the registry (task, language, metric, intermediate task) and the
schema's vocabularies. Errors name the row and the column so a person can fix their file; nothing
is written unless every row is valid.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from pipeline.store.schema import CLEAN, IDENTITY_COLUMNS, REQUIRED_COLUMNS, RESULT_COLUMNS
from pipeline.tasks import registry

SOURCES = frozenset({"run", "published"})
SPLITS = frozenset({"dev", "test"})
#: ``not-stated`` keeps published numbers whose source does not say how they were obtained.
SETTINGS = frozenset({"zero-shot", "translate-train", "translate-train-all", "translate-test", "not-stated"})
_PERTURBATION = re.compile(r"^[a-z][a-z0-9_]*@[0-9]*\.?[0-9]+$")
_LANGS = re.compile(r"^[a-z]{2,3}$")

DEFAULTS: dict[str, Any] = {
    "source_id": None,  # filled from source/run_id
    "provenance": "",
    "model_label": None,  # filled from model
    "model_params": None,
    "intermediate_languages": "en",
    "mlm_cotraining": False,
    "seed": None,
    "perturbation": CLEAN,
    "baseline_run_id": None,
    "printed_delta": None,
    "uncertain": False,
    "test_artifact": False,
    "notes": "",
    "created_at": None,  # filled with now
}

_MAX_REPORTED = 20
#: Columns whose values are nearly all distinct: remembering them would only cost memory.
_NOT_MEMOISED = frozenset({"value", "printed_delta"})


class ValidationError(ValueError):
    """Rows were refused; ``errors`` lists 'row N, column C: message' strings."""

    def __init__(self, errors: list[str], n_errors: int) -> None:
        self.errors = errors
        more = f"\n… and {n_errors - len(errors)} more" if n_errors > len(errors) else ""
        super().__init__(f"{n_errors} problem(s); nothing was written:\n" + "\n".join(errors) + more)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes"}:
            return True
        if lowered in {"0", "false", "no", ""}:
            return False
        raise ValueError(f"expected true/false, got {value!r}")
    if _is_missing(value):
        return False
    if value in (0, 1, True, False):
        return bool(value)
    raise ValueError(f"expected true/false, got {value!r}")


def _as_optional_int(value: Any) -> int | None:
    if _is_missing(value):
        return None
    as_float = float(value)
    if not as_float.is_integer():
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(as_float)


def _as_optional_float(value: Any) -> float | None:
    if _is_missing(value):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def result_id(row: Mapping[str, Any]) -> str:
    """Deterministic id of a measurement: the hash of its identity columns."""
    key = "\x1f".join("" if row[c] is None else str(row[c]) for c in IDENTITY_COLUMNS)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _check_value(value: Any) -> float:
    if _is_missing(value):
        raise ValueError("is empty or NaN")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    if not 0 <= number <= 100:
        raise ValueError(f"{number} is outside 0–100")
    return number


def _check_languages(value: str) -> str:
    codes = sorted({c.strip() for c in str(value).split(",") if c.strip()})
    if not codes or not all(_LANGS.match(c) for c in codes):
        raise ValueError(f"{value!r} is not a comma-separated list of ISO codes")
    return ",".join(codes)


def normalise_row(raw: Mapping[str, Any], now: str, memo: dict[tuple[Any, ...], Any] | None = None) -> dict[str, Any]:
    """One valid, complete row, or ValueError('column: message') for the first bad column.

    A missing required column is reported before a bad value. ``memo`` (one per batch) remembers
    each checked (column, type, value): a batch repeats most of its values, so most checks become a
    dictionary look-up.
    """
    memo = {} if memo is None else memo
    row: dict[str, Any] = {}
    missing: str | None = None
    failure: str | None = None
    for column, check in _CHECKS:
        value = raw.get(column)
        key: tuple[Any, ...] | None = None
        if column not in _NOT_MEMOISED:
            key = (column, type(value), value)
            try:
                row[column] = memo[key]
                continue
            except KeyError:
                pass
            except TypeError:  # an unhashable value is checked every time
                key = None
        if _is_missing(value):
            if column in REQUIRED_COLUMNS:
                missing = missing or column
                continue
            value = DEFAULTS[column]
        try:
            row[column] = check(value)
        except (TypeError, ValueError) as exc:
            failure = failure or f"column {column}: {exc}"
            continue
        if key is not None:
            memo[key] = row[column]
    if missing:
        raise ValueError(f"column {missing}: required, but missing, empty or NaN")
    if failure:
        raise ValueError(failure)
    task = row["target_task"]
    if row["language"] not in registry.valid_languages(task):
        raise ValueError(f"column language: {row['language']!r} is not a language of {task}")
    if row["metric"] not in registry.valid_metrics(task):
        raise ValueError(f"column metric: {row['metric']!r} is not a metric of {task}")
    row["source_id"] = row["source_id"] or ("pipeline" if row["source"] == "run" else row["run_id"])
    row["model_label"] = row["model_label"] or row["model"]
    row["created_at"] = row["created_at"] or now
    row["result_id"] = result_id(row)
    return {column: row[column] for column in RESULT_COLUMNS}


def _one_of(allowed: frozenset[str]):
    def check(value: Any) -> str:
        text = str(value).strip()
        if text not in allowed:
            raise ValueError(f"{text!r} is not one of {', '.join(sorted(allowed))}")
        return text

    return check


def _target(value: Any) -> str:
    text = str(value).strip()
    if text not in registry.all_target_ids():
        raise ValueError(f"unknown target task {text!r}")
    return text


def _intermediate(value: Any) -> str:
    text = str(value).strip()
    registry.validate_intermediate(text)
    return text


def _perturbation(value: Any) -> str:
    text = str(value).strip()
    if text != CLEAN and not _PERTURBATION.match(text):
        raise ValueError(f"{text!r} is neither 'none' nor '<name>@<strength>'")
    return text


def _text(value: Any) -> str:
    return "" if _is_missing(value) else str(value)


def _optional_text(value: Any) -> str | None:
    return None if _is_missing(value) else str(value)


_CHECKS = (
    ("run_id", str),
    ("source", _one_of(SOURCES)),
    ("source_id", _optional_text),
    ("provenance", _text),
    ("model", lambda v: str(v).strip()),
    ("model_label", _optional_text),
    ("model_params", _as_optional_int),
    ("intermediate_task", _intermediate),
    ("intermediate_languages", _check_languages),
    ("mlm_cotraining", _as_bool),
    ("target_task", _target),
    ("language", lambda v: str(v).strip()),
    ("metric", lambda v: str(v).strip()),
    ("value", _check_value),
    ("split", _one_of(SPLITS)),
    ("setting", _one_of(SETTINGS)),
    ("seed", _as_optional_int),
    ("perturbation", _perturbation),
    ("baseline_run_id", _optional_text),
    ("printed_delta", _as_optional_float),
    ("uncertain", _as_bool),
    ("test_artifact", _as_bool),
    ("notes", _text),
    ("created_at", _optional_text),
)


def validate_rows(rows: Iterable[Mapping[str, Any]], first_row_number: int = 1) -> list[dict[str, Any]]:
    """All rows normalised, or ValidationError naming every bad row (first 20) and column.

    Duplicate measurements inside one batch are refused too: they would silently overwrite each other.
    """
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    valid: list[dict[str, Any]] = []
    errors: list[str] = []
    n_errors = 0
    seen: dict[str, int] = {}
    memo: dict[tuple[Any, ...], Any] = {}
    for number, raw in enumerate(rows, start=first_row_number):
        try:
            row = normalise_row(raw, now, memo)
        except ValueError as exc:
            n_errors += 1
            if len(errors) < _MAX_REPORTED:
                errors.append(f"row {number}, {exc}")
            continue
        if row["result_id"] in seen:
            n_errors += 1
            if len(errors) < _MAX_REPORTED:
                errors.append(f"row {number}: the same measurement as row {seen[row['result_id']]}")
            continue
        seen[row["result_id"]] = number
        valid.append(row)
    if n_errors:
        raise ValidationError(errors, n_errors)
    return valid

"""Import jiant runs: the per-task metrics of ``val_metrics.json`` and the run's ``args.json``.

jiant (nyu-mll/jiant, ``proj/main``) writes into a run's output directory ``args.json`` (the run
configuration, with the seed actually used) and, after ``--do_val``, ``val_metrics.json``:
``{"aggregated": x, "<task>": {"loss": .., "metrics": {"major": .., "minor": {..}}}}``. XTREME tasks are
named per language (``xnli_de``, ``udpos_de``, ``bucc2018_de``; ``mlqa_de_de`` for MLQA's context and
question languages). Minor metrics are ``acc`` (a fraction) for classification and Tatoeba, seqeval ``f1``
(a fraction) for tagging, ``F1`` (a fraction) for BUCC, and ``f1`` with ``exact`` (XQuAD, TyDiQA) or
``exact_match`` (MLQA) already in percent for QA.

jiant's "val" phase reads the hub's validation files. For XQuAD, TyDiQA-GoldP and Tatoeba those are the
benchmark's test data (the registry maps their ``test`` split to ``validation``), so their rows are
``split=test``; the others are development-set numbers (``split=dev``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.scoring.errors import ScoringError
from pipeline.tasks import BASELINE, TargetTask, get_target_task, resolve_intermediate_label, resolve_target_label

METRICS_FILE, ARGS_FILE = "val_metrics.json", "args.json"
SOURCE_ID = "jiant"

#: jiant's minor-metric keys for each store metric, in the order they are looked for.
_KEYS = {"accuracy": ("acc",), "f1": ("f1", "F1"), "em": ("exact", "exact_match")}
#: Load modes that start from the pretrained model itself (no intermediate checkpoint).
_PRETRAINED_MODES = ("from_transformers", "from_transformers_with_mlm")
_BUCC_NOTE = "jiant tunes the BUCC threshold on the evaluated data itself"


@dataclass(frozen=True)
class JiantResult:
    """One jiant task: a target task in one language, and its store metrics (0–100)."""

    jiant_task: str
    task_id: str
    language: str
    split: str
    metrics: dict[str, float]


@dataclass(frozen=True)
class JiantRun:
    """What one jiant run directory says; ``model``/``intermediate_task`` are None when it cannot tell."""

    run_dir: Path
    files: tuple[str, ...]
    run_id: str
    model: str | None
    model_path: str | None
    intermediate_task: str | None
    seed: int | None
    results: tuple[JiantResult, ...]
    skipped: tuple[str, ...]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScoringError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoringError(f"{path}: cannot be read ({exc})") from None


def val_split(task: TargetTask) -> str:
    """The result split of jiant's val phase for ``task``: the one the registry reads from ``validation``."""
    splits = task.extra.get("data", {}).get("eval", {}).get("splits", {})
    return next((split for split, hub_split in splits.items() if hub_split == "validation"), "dev")


def _task_language(name: str, path: Path) -> tuple[str, str] | str:
    """(target task, language) of a jiant task name, or why it is skipped."""
    prefix, *languages = name.split("_")
    task_id = resolve_target_label(prefix)
    if task_id is None:
        return f"{name}: not an XTREME target task"
    if task_id == "mlqa" and len(languages) == 2:
        if languages[0] != languages[1]:
            return f"{name}: cross-lingual MLQA (context {languages[0]}, question {languages[1]}) has no store language"
        languages = languages[:1]
    if len(languages) != 1:
        return f"{name}: not a <task>_<language> name"
    task = get_target_task(task_id)
    if languages[0] not in task.languages:
        raise ScoringError(f"{path}: task {name!r}: {languages[0]!r} is not a language of {task.name}")
    return task_id, languages[0]


def _metrics(task: TargetTask, name: str, entry: Any, path: Path) -> dict[str, float]:
    metrics = entry.get("metrics") if isinstance(entry, dict) else None
    minor = metrics.get("minor") if isinstance(metrics, dict) else None
    if not isinstance(minor, dict):
        raise ScoringError(f"{path}: task {name!r} has no metrics.minor object")
    scale = 1.0 if task.head == "span_qa" else 100.0
    scores = {}
    for metric in task.metrics:
        keys = _KEYS.get(metric, ())
        key = next((k for k in keys if k in minor), None)
        value = minor.get(key) if key else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScoringError(f"{path}: task {name!r} has no numeric {' or '.join(keys) or metric} metric")
        if not 0 <= value * scale <= 100:
            raise ScoringError(f"{path}: task {name!r}: {key} = {value} is outside jiant's range for it "
                               f"({'0–100' if scale == 1 else '0–1'})")
        scores[metric] = float(value) * scale
    return scores


def _intermediate(args: dict[str, Any]) -> str | None:
    """``none`` for a run from the pretrained model, the intermediate task named in ``model_path``, or None."""
    if args.get("model_load_mode", _PRETRAINED_MODES[0]) in _PRETRAINED_MODES:
        return BASELINE
    path = args.get("model_path")
    for part in reversed(Path(str(path)).parent.parts if path else ()):
        found = resolve_intermediate_label(part) or resolve_intermediate_label(part.split("__")[0])
        if found:
            return found
    return None


def read_jiant_run(run_dir: str | Path) -> JiantRun:
    """The XTREME results of one jiant run directory (``val_metrics.json``, ``args.json`` if present)."""
    run_dir = Path(run_dir)
    metrics_path, args_path = run_dir / METRICS_FILE, run_dir / ARGS_FILE
    if not metrics_path.is_file():
        raise ScoringError(f"{run_dir}: no {METRICS_FILE} (jiant writes it in the run's output_dir with --do_val)")
    metrics = _read_json(metrics_path)
    args = _read_json(args_path) if args_path.is_file() else {}
    if not isinstance(metrics, dict) or not isinstance(args, dict):
        raise ScoringError(f"{run_dir}: {METRICS_FILE} and {ARGS_FILE} must hold JSON objects")
    results, skipped = [], []
    for name, entry in metrics.items():
        if name == "aggregated":
            continue
        found = _task_language(name, metrics_path)
        if isinstance(found, str):
            skipped.append(found)
            continue
        task = get_target_task(found[0])
        results.append(JiantResult(name, task.id, found[1], val_split(task), _metrics(task, name, entry, metrics_path)))
    if not results:
        raise ScoringError(f"{metrics_path}: no XTREME target task to import ({'; '.join(skipped) or 'no tasks'})")
    files = tuple(p.name for p in (metrics_path, args_path) if p.is_file())
    digest = hashlib.sha256(b"\0".join((run_dir / name).read_bytes() for name in files))
    model = args.get("hf_pretrained_model_name_or_path") or args.get("model_type")
    seed = args.get("seed")
    return JiantRun(
        run_dir=run_dir, files=files, run_id=f"jiant:{digest.hexdigest()[:16]}",
        model=model if isinstance(model, str) else None,
        model_path=args.get("model_path"), intermediate_task=_intermediate(args),
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else None,
        results=tuple(results), skipped=tuple(skipped),
    )


def jiant_rows(run: JiantRun, model: str | None = None, intermediate_task: str | None = None,
               setting: str = "zero-shot", test_artifact: bool = False) -> list[dict]:
    """Store rows of ``run``; ``model``/``intermediate_task`` override (or supply) what its arguments say."""
    model = model or run.model
    if not model:
        raise ScoringError(f"{run.run_dir}: {ARGS_FILE} names no model (hf_pretrained_model_name_or_path or "
                           "model_type); pass --model")
    intermediate_task = intermediate_task or run.intermediate_task
    if intermediate_task is None:
        raise ScoringError(f"{run.run_dir}: cannot tell the intermediate task from model_path {run.model_path!r}; "
                           "pass --intermediate (or --intermediate none)")
    provenance = f"jiant run {run.run_dir.resolve()} ({', '.join(run.files)})"
    rows = []
    for result in run.results:
        notes = "; ".join(n for n in (f"imported from jiant task {result.jiant_task} (val phase)",
                                      _BUCC_NOTE if result.task_id == "bucc" else "") if n)
        for metric, value in result.metrics.items():
            rows.append({
                "run_id": run.run_id, "source": "run", "source_id": SOURCE_ID, "provenance": provenance,
                "model": model, "intermediate_task": intermediate_task, "target_task": result.task_id,
                "language": result.language, "metric": metric, "value": value, "split": result.split,
                "setting": setting, "seed": run.seed, "test_artifact": test_artifact, "notes": notes,
            })
    return rows

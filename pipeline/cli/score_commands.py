"""`score` and `import-jiant`: bring results from other toolkits into the store.

Both read and check everything first and write the store in one batch at the end, so a bad file leaves the
store as it was.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import pandas as pd

from pipeline.cli.common import UserError, add_store_argument, open_store
from pipeline.examples import ExamplesError, examples_of
from pipeline.examples.imported import scored_records
from pipeline.scoring import (
    Attribution,
    LanguageScore,
    ScoringError,
    folder_rows,
    jiant_rows,
    read_jiant_run,
    score_folder,
)
from pipeline.scoring.layout import SPLITS
from pipeline.scoring.report import BENCHMARKS, render, summarise
from pipeline.perturb import CLEAN, format_perturbation, parse_perturbation
from pipeline.store import ValidationError, validate_rows
from pipeline.store.validate import SETTINGS
from pipeline.tasks import BASELINE, resolve_intermediate_label, validate_intermediate

_SETTINGS = sorted(SETTINGS - {"not-stated"})

#: What `score --help` says about agreeing with XTREME's evaluate.py (README.md says the same).
FIDELITY = """\
Every file is read as google-research/xtreme's evaluate.py reads it, and gets its number to 1e-9:
  same number as evaluate.py, with a warning naming file and line:
    blank lines in label files (each is an example with an empty label; in BUCC the pair ('',));
    a blank line after a blank line in tagging files (an empty sentence); a UTF-8 byte-order mark on a
    line file (kept in the first entry, which then never matches); duplicated JSON keys (last one wins);
    questions or mentions without a prediction (score 0); predictions for unknown ids (ignored).
  read the same way, silently: CRLF or CR line ends, a missing final newline, spaces and tabs around an entry.
  refused, naming file (and line), where evaluate.py crashes:
    line or sentence counts that differ; tags per sentence that differ; empty classification or tagging
    files; a BOM on a JSON or JSONL file; invalid JSON; a blank line in XCOPA .jsonl; a question whose
    prediction is not text; SQuAD structure errors; a Mewsli-X gold that is not a list of ids; non-UTF-8.
  refused where evaluate.py would silently miscount:
    a BUCC line that is not two tab-separated ids; a question id listed twice in QA labels; a top-level
    key 'data' in a predictions or Mewsli-X file (evaluate.py reads it as the whole file); a Mewsli-X
    prediction that is not a list of ids; labels with no BUCC pair or no Mewsli-X mention (scored 0).
Beyond evaluate.py: a task folder may hold some of its languages (the task score needs all of them), and
task folders may be named by alias. Mewsli-X: XTREME-R's test-<lang>.json ({mention id: [entity ids]}) or
JSON lines; XCOPA: XTREME-R's test-<lang>.jsonl ({"label": ..} per line) or label lines (.tsv).
Tagging F1 uses XTREME's chunk types (seqeval 0.0.x, as the published numbers and evaluate_test.py: NOUN is
type NOUN); evaluate.py run under seqeval >= 1.0 gives other UD-POS numbers.
XTREME-R reports XCOPA alone as the multi_choice group too, as evaluate.py does.
The XTREME-R overall score needs LAReQA, which evaluate.py cannot score from files: it is never printed;
the mean of the scored tasks is shown labelled "partial, not comparable to the leaderboard".
"""


def _intermediate(value: str | None) -> str | None:
    """Registry id of ``--intermediate`` (ids, aliases, ``none``, ``multi:a,b``), or None when not given."""
    if value is None:
        return None
    resolved = resolve_intermediate_label(value) or value.strip()
    try:
        validate_intermediate(resolved)
    except ValueError as exc:
        raise UserError(f"--intermediate: {exc}") from None
    return resolved


def _validated(rows: list[dict]) -> list[dict]:
    try:
        return validate_rows(rows)
    except ValidationError as exc:
        raise UserError(f"nothing was stored: {exc}") from None


def _perturbation(value: str) -> str:
    """``--perturbation``: ``none`` or ``<name>@<strength>`` as the store writes it."""
    if value.strip() == CLEAN:
        return CLEAN
    try:
        return format_perturbation(parse_perturbation(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _score(args: argparse.Namespace) -> int:
    # Missing answers are reported per file below; the metric's own log line would say it twice.
    logging.getLogger("pipeline.metrics.qa").setLevel(logging.ERROR)
    if args.json and not Path(args.json).resolve().parent.is_dir():
        raise UserError(f"--json: the folder of {args.json} does not exist")
    attribution = Attribution(args.model, _intermediate(args.intermediate) or BASELINE, args.split, args.setting,
                              args.seed, args.test_artifact, args.perturbation)
    try:
        scores, skipped = score_folder(Path(args.predictions), Path(args.labels), args.split)
    except ScoringError as exc:
        raise UserError(f"{exc} (nothing was stored)") from None
    rows = _validated(folder_rows(scores, attribution))
    examples = _examples(args, scores, attribution.perturbation) if args.inputs else {}
    summary = summarise(scores, rows, args.benchmark)
    store = open_store(args)
    report = store.insert_results(rows, label=f"score:{Path(args.predictions).resolve()}")
    for task_id, records in examples.items():
        print(f"examples of {task_id} -> {examples_of(store).write(rows[0]['run_id'], task_id, records)}")
    print(render(summary))
    if skipped:
        print(f"\nskipped (not {args.split} prediction files): {', '.join(skipped)}")
    print(f"\nscored {len(scores)} file(s) -> {store.name}: {report}")
    if args.json:
        summary.update(run_id=rows[0]["run_id"], model=attribution.model, split=attribution.split,
                       intermediate_task=attribution.intermediate_task, skipped=skipped,
                       predictions=str(Path(args.predictions).resolve()), labels=str(Path(args.labels).resolve()))
        Path(args.json).write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"summary -> {args.json}")
    return 0


def _examples(args: argparse.Namespace, scores: list[LanguageScore], perturbation: str) -> dict[str, pd.DataFrame]:
    """Per task, the example rows of the scored files with their ``--inputs`` (read before anything is stored)."""
    if not Path(args.inputs).is_dir():
        raise UserError(f"--inputs: {args.inputs} is not a folder (nothing was stored)")
    by_task: dict[str, list[pd.DataFrame]] = {}
    try:
        for score in scores:
            records = scored_records(args.inputs, score.files, args.split, perturbation)
            if records is not None:
                by_task.setdefault(score.task_id, []).append(records)
    except ExamplesError as exc:
        raise UserError(f"{exc} (nothing was stored)") from None
    return {task_id: pd.concat(parts, ignore_index=True) for task_id, parts in by_task.items()}


def _import_jiant(args: argparse.Namespace) -> int:
    intermediate = _intermediate(args.intermediate)
    rows, lines = [], []
    try:
        for run_dir in args.run_dirs:
            run = read_jiant_run(run_dir)
            run_rows = jiant_rows(run, args.model, intermediate, args.setting, args.test_artifact)
            rows.extend(run_rows)
            tasks = sorted({r["target_task"] for r in run_rows})
            lines.append(f"{run_dir}: {len(run.results)} task-languages of {', '.join(tasks)} "
                         f"({run_rows[0]['model']}, intermediate {run_rows[0]['intermediate_task']})")
            lines.extend(f"  skipped {reason}" for reason in run.skipped)
    except ScoringError as exc:
        raise UserError(f"{exc} (nothing was stored)") from None
    store = open_store(args)
    report = store.insert_results(_validated(rows), label="import-jiant:" + ",".join(args.run_dirs))
    print("\n".join(lines))
    print(f"{len(args.run_dirs)} jiant run(s) -> {store.name}: {report}")
    return 0


def _add_attribution(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--intermediate", default=None,
                        help="intermediate task the model was trained on first (registry id or alias; 'none')")
    parser.add_argument("--setting", default="zero-shot", choices=_SETTINGS, help="evaluation setting (zero-shot)")
    parser.add_argument("--test-artifact", action="store_true",
                        help="mark the rows as test artefacts (numbers from a tiny test model or fixtures)")
    add_store_argument(parser)


def register(subparsers: argparse._SubParsersAction) -> None:
    score = subparsers.add_parser(
        "score", help="score an XTREME-format predictions folder against a labels folder and store the results",
        description="Score an XTREME-format predictions folder against a labels folder and store the results.",
        epilog=FIDELITY, formatter_class=argparse.RawDescriptionHelpFormatter)
    score.add_argument("--predictions", required=True, help="folder of <task>/<split>-<lang>.{tsv,json,jsonl} files")
    score.add_argument("--labels", required=True, help="labels folder of the same layout")
    score.add_argument("--benchmark", default="xtreme", choices=BENCHMARKS, help="whose averages to report")
    score.add_argument("--model", required=True, help="model name for the store, e.g. xlm-roberta-large")
    score.add_argument("--split", default="test", choices=SPLITS, help="which files to score and the rows' split")
    score.add_argument("--seed", type=int, default=None, help="fine-tuning seed of these predictions, if known")
    score.add_argument("--json", default=None, metavar="OUT", help="also write the summary as JSON to OUT")
    score.add_argument("--inputs", default=None, metavar="DIR",
                       help="the examples of the predictions (<task>/<split>-<lang>.jsonl, as a run's export writes "
                            "them): keep per-example predictions beside the store for the Examples page")
    score.add_argument("--perturbation", default=CLEAN, type=_perturbation, metavar="NAME@STRENGTH",
                       help="the predictions are on perturbed inputs, e.g. char_noise@0.1 (default: none)")
    _add_attribution(score)
    score.set_defaults(handler=_score)

    jiant = subparsers.add_parser("import-jiant", help="import XTREME results of jiant run directories")
    jiant.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="jiant output_dir with val_metrics.json")
    jiant.add_argument("--model", default=None, help="model name (default: from the run's args.json)")
    _add_attribution(jiant)
    jiant.set_defaults(handler=_import_jiant)

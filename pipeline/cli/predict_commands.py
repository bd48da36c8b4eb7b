"""`python -m pipeline predict-transfer`: predict a model's transfer to languages nobody measured, with honest error.

Reads the store (read-only), fits ``pipeline.analysis.transfer_predictor`` on the languages it has
numbers for and prints the leave-one-language-out error beside the two baselines, the feature
importances, and a prediction with an interval for every XTREME/XTREME-R language without a number.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from pipeline.analysis.correlation import source_distances
from pipeline.analysis.language_features import TARGET_LABELS, TARGETS, language_frame, target_values
from pipeline.analysis.transfer_predictor import PREDICTORS, predict_transfer
from pipeline.cli.common import UserError, add_store_argument, store_location
from pipeline.store import ResultsStore, is_url, redact
from pipeline.tasks import BASELINE, LANGUAGE_MEAN, TargetTask, get_target_task, resolve_intermediate_label
from pipeline.typology import DISTANCE_TYPES, SOURCES, benchmark_languages, distance_table, get_language
from pipeline.typology.pretraining import corpus_of, pretraining_sizes


def _one(rows: pd.DataFrame, column: str, wanted: str | None, preferred: str | None, flag: str) -> pd.DataFrame:
    """Rows of one value of ``column``: the one asked for, else ``preferred`` or the only one; else say which exist."""
    present = sorted(rows[column].dropna().astype(str).unique())
    choice = wanted or (preferred if preferred in present else (present[0] if len(present) == 1 else None))
    if choice not in present:
        asked = f"{wanted!r} is not among" if wanted else "choose one of"
        raise UserError(f"{flag}: {asked} the stored values {', '.join(present)}")
    return rows[rows[column].astype(str) == choice]


def _rows(args: argparse.Namespace) -> tuple[TargetTask, pd.DataFrame]:
    """The task and its per-language rows of one model, setting, split, metric and perturbation (all conditions)."""
    location = store_location(args)
    if not is_url(location) and not Path(location).exists():
        raise UserError(f"no store at {location}; import the shipped results first: python -m pipeline import-published")
    try:
        task = get_target_task(args.task)
    except (KeyError, ValueError) as exc:
        raise UserError(f"--task: {exc}") from None
    results = ResultsStore(location).read_results()
    rows = results[(results["target_task"] == task.id) & (results["language"] != LANGUAGE_MEAN)]
    if rows.empty:
        raise UserError(f"the store {redact(location)} has no per-language {task.id} results")
    rows = _one(rows, "model", args.model, None, "--model")
    rows = _one(rows, "setting", args.setting, "zero-shot", "--setting")
    rows = _one(rows, "split", args.split, "test", "--split")
    rows = _one(rows, "metric", args.metric, task.primary, "--metric")
    return task, _one(rows, "perturbation", None, "none", "--perturbation")


def _predict(args: argparse.Namespace) -> int:
    intermediate = BASELINE if args.intermediate in (None, BASELINE) else (
        resolve_intermediate_label(args.intermediate) or args.intermediate)
    try:
        source = get_language(args.source_language).code
    except ValueError as exc:
        raise UserError(f"--source-language: {exc}") from None
    task, rows = _rows(args)
    try:
        values = target_values(rows, args.target, intermediate=intermediate, source_languages=[source])
    except ValueError as exc:
        raise UserError(str(exc)) from None
    others = [c for c in benchmark_languages() if c != source]
    corpus = corpus_of(args.model)
    sizes = pretraining_sizes(args.model) if corpus else None
    distances = source_distances(distance_table(benchmark_languages(), DISTANCE_TYPES, args.distance_source), source,
                                 args.distance_source)
    features = language_frame(distances, sizes, others)
    report = predict_transfer(features, values, target=args.target, predictor=args.predictor, candidates=others,
                              task_languages=task.languages, confidence=args.confidence)
    label = TARGET_LABELS[args.target].replace("source", source)
    print(f"{args.model} · {task.id} · {label} · {len(values)} measured language(s) · "
          f"size: {corpus.axis_label if corpus else 'none (no pretraining corpus known for this model)'}")
    if not report.dropped.empty:
        print("left out (nothing is imputed): " + ", ".join(report.dropped["language"] + " (" + report.dropped["reason"]
                                                             + ")"))
    if not report.ok:
        raise UserError(f"no prediction: {report.refused}")
    with pd.option_context("display.width", 160, "display.max_rows", 200, "display.float_format", "{:.3f}".format):
        print("\nleave-one-language-out error (each language predicted by a model fit without it):")
        print(report.errors.to_string(index=False))
        print("\nfeature importances (full fit):")
        print(report.importances.head(args.top).to_string(index=False))
        print("\nmeasured vs leave-one-out predicted:")
        print(report.loo.to_string(index=False))
        print(f"\nPREDICTIONS (not measurements) for languages without a stored number, "
              f"{args.confidence:.0%} jackknife+ interval; in_task = the {task.id} benchmark tests it:")
        print(report.predictions.drop(columns="note").to_string(index=False))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict-transfer", help="predict a model's transfer gap/score/gain for unmeasured languages from typology "
                                 "and pretraining size, with leave-one-language-out error beside two baselines")
    parser.add_argument("--task", required=True, help="target task id, e.g. xnli")
    parser.add_argument("--model", required=True, help="canonical model id, e.g. xlm-roberta-large")
    parser.add_argument("--target", choices=TARGETS, default="gap", help="what to predict (default: gap)")
    parser.add_argument("--intermediate", default=None, help="intermediate task of the condition (default: none, "
                                                             "the baseline; a gain needs one)")
    parser.add_argument("--setting", default=None, help="default: zero-shot")
    parser.add_argument("--split", default=None, help="default: test if stored")
    parser.add_argument("--metric", default=None, help="default: the task's primary metric")
    parser.add_argument("--source-language", default="en", help="the language the task is trained in (default: en)")
    parser.add_argument("--predictor", choices=PREDICTORS, default="ridge", help="default: ridge")
    parser.add_argument("--distance-source", choices=SOURCES, default="lang2vec", help="default: lang2vec")
    parser.add_argument("--confidence", type=float, default=0.9, help="interval level (default: 0.9)")
    parser.add_argument("--top", type=int, default=12, help="importances shown (default: 12)")
    add_store_argument(parser)
    parser.set_defaults(handler=_predict)

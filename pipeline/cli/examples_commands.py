"""`examples`: compare two stored prediction sets of one task and language example by example.

Prints the flip table with McNemar's test and the score per bucket of an attribute with paired bootstrap
intervals; ``--out`` writes the paired examples (input, gold, both predictions, flip, bucket, attributes), with
a leading ``#`` line when a side is a test artefact (``pandas.read_csv(path, comment="#")`` skips it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from pipeline.analysis.artifacts import ARTIFACT_NOTE
from pipeline.analysis.example_runs import reference_run, resolve_run, run_catalogue
from pipeline.analysis.examples import ATTRIBUTE_ALIASES, ATTRIBUTES, example_table
from pipeline.cli.common import UserError, add_store_argument, open_store
from pipeline.examples import ExamplesError, ExampleStore, examples_of, has_examples
from pipeline.analysis.example_comparison import EVERY_CONDITION, Side, compare
from pipeline.tasks import get_target_task

_LABEL_WIDTH = 60


def _task(task_id: str) -> str:
    try:
        task = get_target_task(task_id)
    except (KeyError, ValueError) as exc:
        raise UserError(f"--task: {exc}") from None
    if not has_examples(task.id):
        raise UserError(f"--task: {task.id} keeps no per-example predictions (pairs mined from a whole corpus "
                        "or ranked candidates have no example-level right/wrong)")
    return task.id


def _sides(args: argparse.Namespace, catalogue: pd.DataFrame, task_id: str) -> tuple[Side, Side]:
    try:
        run_a = resolve_run(catalogue, args.run, task_id)
        if args.vs is not None:
            run_b = resolve_run(catalogue, args.vs, task_id)
        elif args.vs_perturbation is not None:
            run_b = run_a
        else:
            run_b = reference_run(catalogue, run_a)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if run_b is None:
        raise UserError(f"run {run_a} has no baseline run with stored examples; name one with --vs")
    b_perturbation = args.vs_perturbation if args.vs_perturbation is not None else args.perturbation
    return Side(run_a, args.perturbation), Side(run_b, b_perturbation)


def _check_language(store: ExampleStore, side: Side, task_id: str, language: str) -> None:
    stored = store.conditions(side.run_id, task_id)
    if language not in set(stored["language"]):
        raise UserError(f"--language: run {side.run_id} has no stored {task_id} examples in {language!r}; "
                        f"it has {', '.join(sorted(set(stored['language'])))}")
    if side.perturbation != EVERY_CONDITION and side.perturbation not in set(stored["perturbation"]):
        raise UserError(f"no condition {side.perturbation!r} in run {side.run_id}; it has "
                        f"{', '.join(sorted(set(stored['perturbation'])))}")


def _examples(args: argparse.Namespace) -> int:
    if args.out and (Path(args.out).suffix != ".csv" or not Path(args.out).resolve().parent.is_dir()):
        raise UserError(f"--out: {args.out} must be a .csv file in an existing folder")
    task_id = _task(args.task)
    results_store = open_store(args)
    store = ExampleStore(args.examples) if args.examples else examples_of(results_store)
    catalogue = run_catalogue(results_store.read_results(), store.index())
    a, b = _sides(args, catalogue, task_id)
    for side in (a, b):
        _check_language(store, side, task_id, args.language)
    try:
        result = compare(store, task_id, a, b, args.language, args.bucket, n_boot=args.n_boot)
    except (ExamplesError, ValueError) as exc:
        raise UserError(str(exc)) from None
    labels = catalogue.drop_duplicates("run_id").set_index("run_id")["label"]
    test = result.test
    print(f"{task_id} {args.language}: {len(result.paired)} paired examples, metric {result.metric}")
    print(f"  A: {labels.get(a.run_id, a.run_id)} [{a.perturbation}]")
    print(f"  B: {labels.get(b.run_id, b.run_id)} [{b.perturbation}]")
    print("\n" + result.flips.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    print(f"\nMcNemar ({test.method}): {test.wrong_to_right} wrong→right vs {test.right_to_wrong} right→wrong, "
          f"p = {test.p_value:.4g}")
    print(f"\n{result.metric} by {result.attribute} (A, B, gain A−B; 95% paired bootstrap intervals, "
          f"{args.n_boot} resamples; numeric buckets cut at quartiles over every language)")
    print(result.buckets.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    if args.out:
        out = example_table(result.paired, result.attribute, result.edges)
        artifacts = catalogue.loc[catalogue["run_id"].isin([a.run_id, b.run_id]), "test_artifact"].any()
        with open(args.out, "w", encoding="utf-8", newline="") as handle:  # a `#` line labels test artefacts
            handle.write(f"# {ARTIFACT_NOTE}\n" if artifacts else "")
            out.to_csv(handle, index=False)
        print(f"\n{len(out)} paired examples -> {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "examples", help="which examples flipped between two runs or conditions, and in which buckets the gain sits")
    parser.add_argument("--task", required=True, help="target task (registry id, e.g. xnli)")
    parser.add_argument("--language", required=True, help="language code, e.g. hi")
    parser.add_argument("--run", required=True, help="run id (or a unique prefix) of condition A")
    parser.add_argument("--vs", default=None,
                        help="run id of condition B (default: A's baseline run; with only --vs-perturbation, run A)")
    parser.add_argument("--perturbation", default="none",
                        help=f"A's evaluation condition: none (clean), <name>@<strength>, or {EVERY_CONDITION} (all)")
    parser.add_argument("--vs-perturbation", default=None, help="B's evaluation condition (default: A's)")
    names = [*ATTRIBUTES, *ATTRIBUTE_ALIASES]
    parser.add_argument("--bucket", default="length", choices=names, metavar="ATTRIBUTE",
                        help=f"attribute to bucket by: {', '.join(names)} (default: length)")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples per bucket (default 1000)")
    parser.add_argument("--out", default=None, metavar="FILE.csv", help="write the paired examples as CSV")
    parser.add_argument("--examples", default=None, help="examples folder (default: beside the store)")
    add_store_argument(parser)
    parser.set_defaults(handler=_examples)

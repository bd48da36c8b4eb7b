"""`preflight` and `prepare`: check that a config's models and data load before a run, and build local mirrors
from original releases for data the hub serves in a form ``datasets`` refuses."""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.common import UserError
from pipeline.cli.run_commands import read_config, with_local_copies
from pipeline.run.config import RunConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser("preflight", help="check that every model and split a config reads will load "
                                                    "(hub metadata and first rows, or local mirrors)")
    check.add_argument("config", help="YAML run config")
    check.add_argument("--data-dir", help="local mirror of the datasets (as for run)")
    check.add_argument("--model-dir", help="folder holding local copies of the models (as for run)")
    check.set_defaults(handler=_preflight)
    prepare = subparsers.add_parser("prepare", help="convert a dataset's original release into a local mirror")
    prepare.add_argument("task", help="intermediate task whose registry entry names a converter (cosmosqa)")
    prepare.add_argument("src_dir", help="folder holding the original release files")
    prepare.add_argument("--out", default="data/mirror", help="mirror root to write (default: data/mirror)")
    prepare.set_defaults(handler=_prepare)


def preflight_report(config: RunConfig):
    """The preflight report of ``config``, with the hub's state announced in one line first."""
    from pipeline.preflight import run_preflight
    from pipeline.preflight.hub import Hub

    hub = Hub()
    if hub.unavailable:
        print(f"preflight: the hub is not asked ({hub.unavailable}); checking local mirrors and caches only",
              file=sys.stderr)
    return run_preflight(config, hub)


def require_preflight(config: RunConfig) -> None:
    """Run preflight; on any failure print the table and stop with a one-line error (``run``'s first step)."""
    report = preflight_report(config)
    if report.failures:
        print(report.table(), file=sys.stderr)
        first = report.failures[0].check
        raise UserError(f"preflight: {len(report.failures)} check(s) fail (table above); first: {first.what}: "
                        f"{first.reason}. Fix them, or run with --skip-preflight")
    print(f"preflight: {report.summary()}", flush=True)


def _preflight(args: argparse.Namespace) -> int:
    config = with_local_copies(read_config(args.config), args.data_dir, args.model_dir)
    report = preflight_report(config)
    print(report.table())
    print(report.summary())
    return 1 if report.failures else 0


def _prepare(args: argparse.Namespace) -> int:
    from pipeline.data.prepare import PrepareError, prepare

    try:
        counts = prepare(args.task, args.src_dir, args.out)
    except PrepareError as exc:
        raise UserError(str(exc)) from None
    rows = ", ".join(f"{split} {n:,}" for split, n in counts.items())
    print(f"{args.task}: wrote {rows} rows under {args.out}; use it with data_dirs: {{{args.task}: {args.out}}}")
    return 0

"""`python -m pipeline ...`: one module per group of subcommands, each exposing ``register(subparsers)``.

A command's handler returns an exit code; it reports a user's mistake as a one-line message
(raise ``UserError``), never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pipeline.cli import (
    claims_commands,
    data_commands,
    examples_commands,
    jobs_commands,
    predict_commands,
    run_commands,
    score_commands,
    shape_commands,
    store_commands,
    typology_commands,
)
from pipeline.cli.common import UserError

#: Modules that add subcommands; add yours here.
COMMAND_MODULES = (store_commands, run_commands, typology_commands, score_commands, jobs_commands, claims_commands,
                   examples_commands, predict_commands, data_commands, shape_commands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description="Transfer Atlas pipeline and store.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

"""Pieces every subcommand shares: the --store flag and the user-error type."""

from __future__ import annotations

import argparse

from pipeline.store import ResultsStore, default_store_path


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line, exit code 2."""


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        help=f"results store file (default: $ATLAS_STORE or {default_store_path()})",
    )


def open_store(args: argparse.Namespace) -> ResultsStore:
    try:
        return ResultsStore(args.store)
    except (OSError, RuntimeError) as exc:
        raise UserError(f"cannot open the store {args.store or default_store_path()}: {exc}") from None

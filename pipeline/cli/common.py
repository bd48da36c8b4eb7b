"""Pieces every subcommand shares: the --store flag and the user-error type."""

from __future__ import annotations

import argparse

from pipeline.errors import UserError
from pipeline.store import ResultsStore, StoreUnavailable, default_store_location, redact

__all__ = ["UserError", "add_store_argument", "open_store", "store_location"]


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        help="results store: a SQLite file or a postgresql://USER:PASSWORD@HOST/DB URL "
             f"(default: $ATLAS_STORE or {redact(default_store_location())})",
    )


def open_store(args: argparse.Namespace) -> ResultsStore:
    try:
        return ResultsStore(store_location(args))
    except StoreUnavailable as exc:
        raise UserError(str(exc)) from None
    except (OSError, RuntimeError) as exc:
        raise UserError(f"cannot open the store {redact(store_location(args))}: {exc}") from None


def store_location(args: argparse.Namespace) -> str:
    """The store the command works on: ``--store``, else ``$ATLAS_STORE``, else data/atlas.db."""
    return args.store or default_store_location()

"""`claims`: the claims ledger (data/claims) evaluated on a published source or on pipeline runs."""

from __future__ import annotations

import argparse
import tempfile
import textwrap
from pathlib import Path

import pandas as pd

from pipeline.analysis.claims import (
    DEFAULT_RESULT_SET,
    VERDICTS,
    ClaimsFileError,
    ledger,
    load_claims,
    select_result_set,
)
from pipeline.analysis.claims.spec import CLAIMS_DIR
from pipeline.cli.common import UserError, add_store_argument, open_store
from pipeline.published import published_rows
from pipeline.store import ResultsStore

_WIDTH = 110


def _result_set(args: argparse.Namespace) -> str:
    if args.source and args.run:
        raise UserError("give --source or --run, not both")
    if args.run:
        is_config = args.run.endswith((".yaml", ".yml")) or "/" in args.run
        return ("config:" if is_config else "run:") + args.run
    return f"published:{args.source}" if args.source else DEFAULT_RESULT_SET


def _shipped_published() -> pd.DataFrame:
    """The shipped published numbers, read through a throw-away store (same validation as an import)."""
    with tempfile.TemporaryDirectory(prefix="atlas-claims-") as folder:
        store = ResultsStore(Path(folder) / "published.db")
        store.insert_results(published_rows(), label="published")
        return store.read_results()


def _rows(args: argparse.Namespace, key: str) -> pd.DataFrame:
    results = open_store(args).read_results()
    if key.startswith("published:") and not (results["source_id"] == key.split(":", 1)[1]).any():
        results = _shipped_published()  # a fresh store: the shipped numbers are what the user means
    try:
        return select_result_set(results, key)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _print(table: pd.DataFrame, key: str) -> None:
    counts = table["verdict"].value_counts()
    print(f"claims ledger on {key}: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS))
    for row in table.to_dict("records"):
        print(f"\n[{row['verdict']}] {row['id']} · {row['version'].split(' (')[0]} · {row['where']}")
        for label, text in (("said", f"“{row['sentence']}”"), ("numbers", row["numbers"]), ("why", row["reason"])):
            if text:
                print(textwrap.fill(text, _WIDTH, initial_indent=f"  {label}: ", subsequent_indent="    "))


def _claims(args: argparse.Namespace) -> int:
    key = _result_set(args)
    try:
        claims = load_claims(args.claims)
    except ClaimsFileError as exc:
        raise UserError(f"claims file refused: {exc}") from None
    table = ledger(claims, _rows(args, key))
    _print(table, key)
    if args.csv:
        table.to_csv(args.csv, index=False)
        print(f"\nledger with provenance -> {args.csv}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("claims", help="check the published claims (data/claims) against results")
    parser.add_argument("--source", help=f"a published source id, e.g. phang2020_v1 (default: {DEFAULT_RESULT_SET})")
    parser.add_argument("--run", help="a pipeline config path (all its runs) or one run id (with its baseline)")
    parser.add_argument("--claims", default=str(CLAIMS_DIR), help="folder of claims files (default: data/claims)")
    parser.add_argument("--csv", help="also write the ledger (with provenance) to this CSV file")
    add_store_argument(parser)
    parser.set_defaults(handler=_claims)

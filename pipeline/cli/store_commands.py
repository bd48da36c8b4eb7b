"""Store subcommands: import-published, import, export, info."""

from __future__ import annotations

import argparse

from pipeline.cli.common import UserError, add_store_argument, open_store
from pipeline.published import published_rows
from pipeline.store import ValidationError
from pipeline.store.files import ResultsFileError, read_results_csv, write_results


def _import_published(args: argparse.Namespace) -> int:
    store = open_store(args)
    report = store.insert_results(published_rows(), label="published")
    print(f"published results -> {store.name}: {report}")
    return 0


def _import_file(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        # Row numbers in messages are the file's line numbers (line 1 is the header).
        rows = read_results_csv(args.file)
        report = store.insert_results(rows, label=f"import:{args.file}", first_row_number=2)
    except (ResultsFileError, ValidationError) as exc:
        raise UserError(f"{args.file} was not imported, the store is unchanged.\n{exc}") from None
    print(f"{args.file} -> {store.name}: {report}")
    return 0


def _export(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        path = write_results(store.read_results(), args.out)
    except ResultsFileError as exc:
        raise UserError(str(exc)) from None
    print(f"{store.count()} rows -> {path}")
    return 0


def _info(args: argparse.Namespace) -> int:
    store = open_store(args)
    frame = store.read_results()
    print(f"store: {store.name}\nschema version: {store.schema_version()}\nrows: {len(frame)}")
    if not frame.empty:
        print(frame.groupby(["source", "source_id"]).size().rename("rows").to_string())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import-published", help="import the shipped published results (idempotent)")
    add_store_argument(parser)
    parser.set_defaults(handler=_import_published)

    parser = subparsers.add_parser("import", help="import a CSV in the store schema (all rows or none)")
    parser.add_argument("file", help="CSV file with the store's columns (see README)")
    add_store_argument(parser)
    parser.set_defaults(handler=_import_file)

    parser = subparsers.add_parser("export", help="export the whole store as CSV or Parquet")
    parser.add_argument("--out", required=True, help="output file, .csv or .parquet")
    add_store_argument(parser)
    parser.set_defaults(handler=_export)

    parser = subparsers.add_parser("info", help="what the store holds")
    add_store_argument(parser)
    parser.set_defaults(handler=_info)

"""The results store (SQLite, WAL): schema, validation, batched idempotent writes, import/export."""

from pipeline.store.db import STORE_ENV, InsertReport, ResultsStore, default_store_path
from pipeline.store.schema import RESULT_COLUMNS, SCHEMA_VERSION
from pipeline.store.validate import ValidationError, validate_rows

__all__ = [
    "RESULT_COLUMNS",
    "SCHEMA_VERSION",
    "STORE_ENV",
    "InsertReport",
    "ResultsStore",
    "ValidationError",
    "default_store_path",
    "validate_rows",
]

"""The results store (SQLite file or PostgreSQL database): schema, validation, batched idempotent writes, import/export."""

from pipeline.store.database import StoreUnavailable, is_url, redact
from pipeline.store.db import STORE_ENV, InsertReport, ResultsStore, default_store_location
from pipeline.store.schema import RESULT_COLUMNS, SCHEMA_VERSION
from pipeline.store.validate import ValidationError, validate_rows

__all__ = [
    "RESULT_COLUMNS",
    "SCHEMA_VERSION",
    "STORE_ENV",
    "InsertReport",
    "ResultsStore",
    "StoreUnavailable",
    "ValidationError",
    "default_store_location",
    "is_url",
    "redact",
    "validate_rows",
]

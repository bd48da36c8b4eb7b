"""The results schema (DESIGN.md) and its migrations.

One row per measured number. Both engines run the same migrations (their few engine-specific words
come from ``database.WORDS``); the version is SQLite's ``PRAGMA user_version`` or PostgreSQL's
``atlas_versions`` row. Each migration is applied once, in order, inside one transaction, so a store
is always at a known version.
"""

from __future__ import annotations

from pipeline.store.database import Connection, Database, statements

#: Columns of the results table in DESIGN.md order, then the provenance columns.
RESULT_COLUMNS: tuple[str, ...] = (
    "result_id",
    "run_id",
    "source",
    "source_id",
    "provenance",
    "model",
    "model_label",
    "model_params",
    "intermediate_task",
    "intermediate_languages",
    "mlm_cotraining",
    "target_task",
    "language",
    "metric",
    "value",
    "split",
    "setting",
    "seed",
    "perturbation",
    "baseline_run_id",
    "printed_delta",
    "uncertain",
    "test_artifact",
    "notes",
    "created_at",
)

#: The ``perturbation`` value of a clean evaluation (the others are ``<name>@<strength>``, see
#: ``pipeline.perturb.spec``); kept here so that readers of the store need not import the perturbations.
CLEAN = "none"

#: The pandas type of each column when read: text as pandas' string type, nullable integers as Int64.
PANDAS_DTYPES: dict[str, str] = {
    **{column: "str" for column in RESULT_COLUMNS},
    "model_params": "Int64",
    "seed": "Int64",
    "value": "float64",
    "printed_delta": "float64",
    "mlm_cotraining": "bool",
    "uncertain": "bool",
    "test_artifact": "bool",
}

#: Columns whose values together identify a measurement; ``result_id`` is a hash of them, which is
#: what makes re-imports idempotent.
IDENTITY_COLUMNS: tuple[str, ...] = (
    "run_id",
    "model",
    "intermediate_task",
    "intermediate_languages",
    "mlm_cotraining",
    "target_task",
    "language",
    "metric",
    "split",
    "setting",
    "seed",
    "perturbation",
)

#: Columns a caller must supply; the others have defaults (see ``validate.DEFAULTS``).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "run_id",
    "source",
    "model",
    "intermediate_task",
    "target_task",
    "language",
    "metric",
    "value",
    "split",
    "setting",
)

_V1 = """
CREATE TABLE results (
    result_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('run', 'published')),
    source_id TEXT NOT NULL,
    provenance TEXT NOT NULL,
    model TEXT NOT NULL,
    model_label TEXT NOT NULL,
    model_params {bigint},
    intermediate_task TEXT NOT NULL,
    intermediate_languages TEXT NOT NULL,
    mlm_cotraining INTEGER NOT NULL CHECK (mlm_cotraining IN (0, 1)),
    target_task TEXT NOT NULL,
    language TEXT NOT NULL,
    metric TEXT NOT NULL,
    value {real} NOT NULL CHECK (value >= 0 AND value <= 100),
    split TEXT NOT NULL,
    setting TEXT NOT NULL,
    seed {bigint},
    perturbation TEXT NOT NULL,
    baseline_run_id TEXT,
    printed_delta {real},
    uncertain INTEGER NOT NULL CHECK (uncertain IN (0, 1)),
    test_artifact INTEGER NOT NULL CHECK (test_artifact IN (0, 1)),
    notes TEXT NOT NULL,
    created_at TEXT NOT NULL{rowid}
);
CREATE INDEX results_target_lang ON results (target_task, language, metric);
CREATE INDEX results_model ON results (model, intermediate_task);
CREATE INDEX results_run ON results (run_id);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta (key, value) VALUES ('data_version', '0');
CREATE TABLE imports (
    import_id {autoid},
    label TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    n_new INTEGER NOT NULL,
    n_updated INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
"""

# A random id per store file: a Parquet snapshot (snapshot.py) names the store it was read from.
_V2 = "INSERT INTO meta (key, value) VALUES ('store_id', {random_id})"

#: (version, SQL) pairs; append new migrations, never edit an applied one. A migration that rewrites
#: rows must also bump ``meta.data_version`` (readers cache on it).
MIGRATIONS: tuple[tuple[int, str], ...] = ((1, _V1), (2, _V2))

SCHEMA_VERSION = MIGRATIONS[-1][0]


COMPONENT = "results"


def migrate(db: Database) -> int:
    """Bring the database to ``SCHEMA_VERSION``; returns the version it started at.

    Refuses a database written by a newer Transfer Atlas rather than guessing at its schema. A store
    that is already current is not locked, so opening one never waits behind a running writer.
    """
    with db.connect() as conn:
        if conn.version(COMPONENT) == SCHEMA_VERSION:
            return SCHEMA_VERSION
    with db.write("schema", "results") as conn:
        start = conn.version(COMPONENT)
        if start > SCHEMA_VERSION:
            raise RuntimeError(
                f"the store has schema version {start}, newer than this Transfer Atlas ({SCHEMA_VERSION}); upgrade"
            )
        for version, sql in MIGRATIONS:
            if version > start:
                _apply(conn, sql.format_map(db.words))
                conn.set_version(COMPONENT, version)
    return start


def _apply(conn: Connection, sql: str) -> None:
    for statement in statements(sql):
        conn.execute(statement)

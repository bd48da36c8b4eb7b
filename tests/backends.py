"""The two store engines for tests: a SQLite file, or a throw-away PostgreSQL database of its own.

PostgreSQL tests reach the server named by ``$ATLAS_TEST_POSTGRES`` (default: the one
``.ci/services/start-postgres.sh`` starts, whose role may create databases). Every test gets a database
with a fresh random name, dropped afterwards, so parallel runs never share one. Where no server is
reachable the PostgreSQL variants skip, saying how to start one.
"""

from __future__ import annotations

import os
import time
import uuid
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ADMIN_ENV = "ATLAS_TEST_POSTGRES"
DEFAULT_ADMIN = "postgresql://atlas:atlas@127.0.0.1:5432/atlas"
BACKENDS = ("sqlite", "postgresql")


def admin_url() -> str:
    return os.environ.get(ADMIN_ENV) or DEFAULT_ADMIN


@lru_cache(maxsize=1)
def unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here (None when they can)."""
    try:
        import psycopg

        with psycopg.connect(admin_url(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means: no server for the tests
        from pipeline.store import redact

        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return (f"no PostgreSQL at {redact(admin_url())} ({first}); start one with .ci/services/start-postgres.sh "
                f"or set {ADMIN_ENV}")
    return None


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql)


def create_database(template: str | None = None, password: str | None = None) -> str:
    """A new empty database (or a copy of ``template``'s database); returns its URL.

    With ``password``, the database belongs to a new role of that password (named like the database).
    """
    name = f"atlas_test_{uuid.uuid4().hex[:12]}"
    source = f" TEMPLATE {urlsplit(template).path.strip('/')}" if template else ""
    owner = ""
    if password is not None:
        _admin(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        _admin(f"GRANT {name} TO CURRENT_USER")  # needed to make it a database's owner
        owner = f" OWNER {name}"
    _admin(f"CREATE DATABASE {name}{source}{owner}")
    url = with_database(admin_url(), name)
    if password is None:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"{name}:{password}@{parts.netloc.rsplit('@', 1)[-1]}", parts.path,
                       parts.query, parts.fragment))


def drop_database(url: str, attempts: int = 40) -> None:
    """Drop a test database (and the role of the same name, if one was made for it).

    PostgreSQL 15 refuses ``WITH (FORCE)`` to a non-superuser while an autovacuum worker is inside the database
    (it may not signal it); the worker is done within moments, so the drop is tried again.
    """
    import psycopg

    name = urlsplit(url).path.strip("/")
    for attempt in range(attempts):
        try:
            _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            break
        except psycopg.errors.InsufficientPrivilege:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)
    if urlsplit(url).username == name:
        _admin(f"DROP ROLE IF EXISTS {name}")


class Stores:
    """Fresh stores of one engine for one test, and copies of them; PostgreSQL databases are dropped at the end."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend, self.folder, self.created = backend, folder, []

    def new(self, name: str = "atlas") -> str:
        if self.backend == "sqlite":
            return str(self.folder / f"{name}.db")
        self.created.append(create_database())
        return self.created[-1]

    def copy(self, location: str, name: str) -> str:
        """A copy of a store nobody is connected to (a SQLite store must be checkpointed first)."""
        if self.backend == "sqlite":
            import shutil

            return str(shutil.copy(location, self.folder / f"{name}.db"))
        self.created.append(create_database(template=location))
        return self.created[-1]

    def close(self) -> None:
        for url in self.created:
            drop_database(url)


def skip_without(backend: str) -> None:
    if backend == "postgresql" and unavailable():
        pytest.skip(unavailable())

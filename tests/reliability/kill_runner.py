"""Run `python -m pipeline ...` commands and SIGKILL them at exact points, without paying the start-up each time.

One long-lived process (``KillRunner`` starts it) imports the command line once, and the modules
named as its arguments, then serves requests read from stdin, one JSON object per line:
``{"argv": [...], "kill": {"kind": "sql" | "call" | "count" | "none", "at": N}, "report": PATH, "env": {...}}``.
For each it forks a child that runs ``pipeline.cli.main(argv)`` in the test's environment as it is when it asks
(fixtures set e.g. ``$ATLAS_WORK_DIR`` after the server started) — exactly what ``python -m pipeline ARGV``
started by the test would run — and answers with two JSON lines: ``{"pid": ...}`` as soon as the
child exists (so a test can also kill it from outside) and ``{"status": ...}`` when it has ended
(its exit code, or minus the signal that ended it).

The child counts the SQL statements it starts (SQLite's trace callback on every connection; for
PostgreSQL, every statement and COPY psycopg sends) and, but
for ``sql``, the Python function calls (a profile hook). With ``kind`` ``sql`` it kills itself with
SIGKILL just before the N-th statement runs; with ``call`` at the N-th Python call. Before dying it
writes to ``report`` where it was: inside the write transaction (after ``BEGIN``, before ``COMMIT``
ran) or not. With ``count`` it runs to the end and reports its totals, from which a test draws kill
points; with ``none`` it runs uninstrumented.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]


class KillSwitch:
    """Counts statements and calls in a forked child and kills it at the chosen one."""

    def __init__(self, kind: str, at: int, report: Path) -> None:
        self.kind, self.at, self.report = kind, at, report
        self.state: dict[str, Any] = {"sql": 0, "calls": 0, "inside": False, "begin": None, "commit": None,
                                      "calls_at_commit": None, "committing": False}

    def install(self) -> None:
        connect = sqlite3.connect

        def traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = connect(*args, **kwargs)
            conn.set_trace_callback(self.on_statement)
            return conn

        sqlite3.connect = traced_connect
        self._trace_postgres()
        if self.kind != "sql":
            sys.setprofile(self.on_event)

    def _trace_postgres(self) -> None:
        import psycopg

        execute, copy = psycopg.Connection.execute, psycopg.Cursor.copy

        def traced_execute(conn: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            # Counted before it is sent (a kill point is "just before"), marked once the server has done it:
            # a COMMIT counts as done only when it returned, unlike SQLite's, which runs inside the callback.
            self.count(str(query))
            # Killed while a COMMIT is on the wire, the server may or may not have committed: say so.
            self.state["committing"] = str(query).lstrip().upper().startswith("COMMIT")
            result = execute(conn, query, *args, **kwargs)
            self.state["committing"] = False
            self.mark(str(query))
            return result

        def traced_copy(cursor: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
            self.count(str(statement))
            return copy(cursor, statement, *args, **kwargs)

        psycopg.Connection.execute, psycopg.Cursor.copy = traced_execute, traced_copy

    def on_statement(self, sql: str) -> None:
        self.count(sql)
        self.mark(sql)

    def count(self, sql: str) -> None:
        self.state["sql"] += 1
        if self.kind == "sql" and self.state["sql"] == self.at:
            self.die()

    def mark(self, sql: str) -> None:
        state = self.state
        word = sql.lstrip()[:8].upper()
        if word.startswith("BEGIN"):
            state["inside"], state["begin"] = True, state["sql"]
        elif word.startswith(("COMMIT", "ROLLBACK")):
            state["inside"], state["commit"], state["calls_at_commit"] = False, state["sql"], state["calls"]

    def on_event(self, frame: object, event: str, arg: object) -> None:
        if event == "call":
            self.state["calls"] += 1
            if self.kind == "call" and self.state["calls"] == self.at:
                self.die()

    def die(self) -> None:
        sys.setprofile(None)
        self.write_report()
        os.kill(os.getpid(), signal.SIGKILL)

    def write_report(self) -> None:
        self.report.write_text(json.dumps({"kind": self.kind, "at": self.at, **self.state}))


def run_child(request: dict[str, Any]) -> int:
    os.environ.clear()
    os.environ.update(request["env"])
    kind = request["kill"]["kind"]
    if kind == "none":
        return main(request["argv"])
    switch = KillSwitch(kind, request["kill"]["at"], Path(request["report"]))
    switch.install()
    code = main(request["argv"])
    sys.setprofile(None)
    switch.write_report()
    return code


class KillRunner:
    """The test side: starts this module as a server and sends it one command at a time."""

    def __init__(self, *preload: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.kill_runner", *preload], cwd=REPO, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def run(self, argv: list[str], report: Path | None = None, kind: str = "none", at: int = 0,
            kill_after: float | None = None) -> int:
        """The exit status of one command (``-SIGKILL`` when killed); ``kill_after`` kills it from outside."""
        assert self.process.stdin and self.process.stdout
        request = {"argv": argv, "kill": {"kind": kind, "at": at}, "report": str(report or ""),
                   "env": dict(os.environ)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        pid = json.loads(self.process.stdout.readline())["pid"]
        if kill_after is not None:
            time.sleep(kill_after)
            subprocess.run(["kill", "-9", str(pid)], check=False, capture_output=True)
        return json.loads(self.process.stdout.readline())["status"]

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            sys.stdout = open(os.devnull, "w")  # the child's own output must not mix with the protocol
            try:
                code = run_child(request)
            except BaseException:  # noqa: BLE001 - any escape is a failure the test should see
                traceback.print_exc()
                code = 99
            os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    for module in sys.argv[1:]:  # modules the served command imports lazily (e.g. pipeline.run.runner)
        importlib.import_module(module)
    serve()

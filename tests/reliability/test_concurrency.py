"""Concurrency, on both engines: 4 writer processes insert 10,000 rows each (10 batches) while a reader reads without pause.

No row is lost, no writer sees "database is locked" (or any other error), and the reader never sees
part of a batch: every run id it sees has all of its batch's rows, through ``read_results()`` (the
Parquet snapshot plus the rows since) and through plain SQL alike.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from pipeline.store import ResultsStore
from tests.backends import Stores
from tests.conftest import REPO
from tests.reliability.store_workers import BATCH_ROWS

N_WRITERS = 4
N_BATCHES = 10
DEADLINE_S = 300


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.store_workers", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_four_writers_and_a_reader_lose_nothing_and_never_see_half_a_batch(tmp_path: Path, stores: Stores) -> None:
    store_path, sync = stores.new(), tmp_path / "sync"
    sync.mkdir()
    ResultsStore(store_path)
    writers = [_start("writer", str(store_path), str(sync), str(w), "--batches", str(N_BATCHES))
               for w in range(N_WRITERS)]
    reader = _start("reader", str(store_path), str(sync))
    processes = [*writers, reader]
    try:
        deadline = time.monotonic() + DEADLINE_S
        while len(list(sync.glob("ready-*"))) < len(processes):
            assert all(p.poll() is None for p in processes), [p.communicate()[1][-2000:] for p in processes]
            assert time.monotonic() < deadline, "the workers never got ready"
            time.sleep(0.05)
        (sync / "go").touch()
        outcomes = [w.communicate(timeout=max(deadline - time.monotonic(), 1)) for w in writers]
        (sync / "stop").touch()
        seen = json.loads(reader.communicate(timeout=max(deadline - time.monotonic(), 1))[0])
    finally:
        for process in processes:
            process.kill()

    for writer, (_, stderr) in zip(writers, outcomes):
        assert "locked" not in stderr.lower(), stderr[-2000:]
        assert writer.returncode == 0, stderr[-2000:]
    assert reader.returncode == 0
    assert seen["problems"] == []
    assert seen["distinct_totals"] >= 3, f"the reader never overlapped the writers: {seen}"
    assert seen["last"] == N_WRITERS * N_BATCHES * BATCH_ROWS

    store = ResultsStore(store_path)
    assert store.integrity_problems() == []
    assert store.count() == N_WRITERS * N_BATCHES * BATCH_ROWS
    sizes = store.read_results().groupby("run_id").size()
    assert len(sizes) == N_WRITERS * N_BATCHES and (sizes == BATCH_ROWS).all()

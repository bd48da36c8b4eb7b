"""Store figures: batch insert, re-import, a small correction, the published import, and full reads.

Run: .venv/bin/python bench/bench_store.py [--rows 100000] [--quick] [--baseline COMMIT]
                                           [--backend sqlite|postgresql|both] [--read-rows 1000000]
Prints one line per figure; uses a temporary store only (synthetic rows from generate_synthetic.py): a
SQLite file, or a throw-away PostgreSQL database on the server of ``$ATLAS_TEST_POSTGRES`` (default: the
one ``.ci/services/start-postgres.sh`` starts), dropped afterwards. ``--read-rows N`` adds a full read of
N rows (written in batches of 100,000), first from the database, then from the snapshot.
``--baseline COMMIT`` first runs the same figures with the ``pipeline/`` package of that commit
(``git archive``), for a before/after comparison on the same machine in the same minute.
The dashboard's figures (pages, memory, the Parquet floor) are in bench_dashboard.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUICK_ROWS = 20_000


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def temporary_store(backend: str) -> Iterator[str]:
    """A fresh store location of ``backend``, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        if backend == "sqlite":
            yield str(Path(tmp) / "bench.db")
            return
        from tests.backends import create_database, drop_database, unavailable

        if unavailable():
            raise SystemExit(unavailable())
        os.environ["ATLAS_WORK_DIR"] = tmp  # the snapshot of a PostgreSQL store goes to the work folder
        url = create_database()
        try:
            yield url
        finally:
            drop_database(url)


def measure(n: int, label: str, backend: str) -> None:
    """Print the store figures for ``n`` synthetic rows with the ``pipeline`` package on sys.path."""
    from generate_synthetic import synthetic_rows
    from pipeline.published import published_rows
    from pipeline.store import ResultsStore

    rows = list(synthetic_rows(n))
    corrected = [{**row, "value": row["value"] / 2} if i % 100 == 0 else row for i, row in enumerate(rows)]
    label = f" [{backend}]{label}"
    with temporary_store(backend) as location:
        store = ResultsStore(location)
        t = median_time(lambda: store.insert_results(rows), 1)
        print(f"store{label}: insert {n:,} new rows in one batch          {t:7.2f} s  ({n / t:,.0f} rows/s)")
        t = median_time(lambda: store.insert_results(rows), 1)
        print(f"store{label}: re-import the same {n:,} rows (no change)  {t:7.2f} s  ({n / t:,.0f} rows/s)")
        t = median_time(lambda: store.insert_results(corrected), 1)
        print(f"store{label}: re-import with 1% of the values corrected  {t:7.2f} s  ({n / t:,.0f} rows/s)")
        published = published_rows()
        t = median_time(lambda: store.insert_results(published), 1)
        print(f"store{label}: import the {len(published):,} published rows            {t * 1000:7.0f} ms")
        snapshot = getattr(store, "snapshot_path", None)  # absent before the Parquet snapshot existed
        if snapshot is not None:
            snapshot.unlink(missing_ok=True)
        t = median_time(store.read_results, 1)
        print(f"store{label}: read all {store.count():,} rows from the database      {t:7.2f} s")
        if snapshot is not None:
            t = median_time(store.read_results, 5)
            print(f"store{label}: read all {store.count():,} rows again (snapshot), median of 5  {t:7.2f} s")


def measure_read(n: int, backend: str) -> None:
    """Print the time of a full read of ``n`` rows, from the database and then from the snapshot."""
    from generate_synthetic import synthetic_rows
    from pipeline.store import ResultsStore

    rows = list(synthetic_rows(n))
    with temporary_store(backend) as location:
        store = ResultsStore(location)
        start = time.perf_counter()
        for first in range(0, n, 100_000):
            store.insert_results(rows[first : first + 100_000], label="bench")
        print(f"store [{backend}]: write {n:,} rows in batches of 100,000      {time.perf_counter() - start:7.2f} s")
        del rows
        store.snapshot_path.unlink(missing_ok=True)
        t = median_time(store.read_results, 1)
        print(f"store [{backend}]: read all {n:,} rows from the database    {t:7.2f} s")
        t = median_time(store.read_results, 3)
        print(f"store [{backend}]: read them again (snapshot), median of 3   {t:7.2f} s")


def run_baseline(commit: str, argv: list[str]) -> None:
    """Run this script on the ``pipeline/`` package (and its shipped data) of ``commit``, extracted."""
    with tempfile.TemporaryDirectory(prefix="atlas-baseline-") as tmp:
        archive = subprocess.run(["git", "archive", commit, "pipeline", "data/published"],
                                 cwd=REPO, capture_output=True, check=True)
        archive_path = Path(tmp) / "code.tar"
        archive_path.write_bytes(archive.stdout)
        with tarfile.open(archive_path) as tar:
            tar.extractall(tmp, filter="data")
        env = {**os.environ, "ATLAS_BENCH_CODE": tmp}
        subprocess.run([sys.executable, __file__, *argv, "--label", f" @{commit[:7]}"], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows (for run_all.py)")
    parser.add_argument("--baseline", metavar="COMMIT", help="first measure the pipeline/ package of COMMIT")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--read-rows", type=int, default=0, help="also time a full read of this many rows")
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        run_baseline(args.baseline, ["--rows", str(args.rows)] + (["--quick"] if args.quick else []))
    # The code under test comes first on sys.path: a baseline's extracted package, else this checkout.
    sys.path.insert(0, os.environ.get("ATLAS_BENCH_CODE") or str(REPO))
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        measure(QUICK_ROWS if args.quick else args.rows, args.label or (" (this checkout)" if args.baseline else ""),
                backend)
    for backend in backends if args.read_rows else ():
        measure_read(args.read_rows, backend)


if __name__ == "__main__":
    main()

"""Dashboard at scale: cold load, every page's script time and the app's memory at 10^4 to 10^7 rows.

For each size a temporary store is filled with the synthetic grid (bench/generate_synthetic.py) and
the published results (as the app does on its first start). The filled synthetic store is kept in
--cache (one file per size and generator version; 10^7 rows take ~10 minutes to write) and copied
for each run, so a second run of the bench starts at once. Then, each in a fresh process:

* reads: the first ``read_results()`` of the new store, a second one (from the snapshot it left),
  the floor: ``pandas.read_parquet`` of the same rows exported to Parquet (median of --repeat), and
  a read after one more synthetic run was inserted (the snapshot plus the rows since); above
  10^6 rows no whole-table read is made (it would hold ~5 GB): the snapshot is written by streaming
  (``snapshot_parts()``) and there is no floor;
* app: the first AppTest run of app.py (empty caches: imports, store, first read, Overview), then
  every page's script (median of --repeat runs after switching to it) and the process's peak RSS.

With ``--baseline COMMIT``, the app figures are first measured with that commit's code (``git
archive``) on the same store, for a before/after pair in the same minutes. Above 10^6 rows, name a
commit with the query layer (``cbfbc05`` or later): the code before it holds the whole table in memory
(about 5 GB at 10^7 rows).

With ``--profile``, each page also runs once under cProfile (outside AppTest) and the three project
functions with the most cumulative time are printed: where a slow page spends it.

Run: .venv/bin/python bench/bench_dashboard.py [--sizes 10000 100000 1000000 10000000] [--repeat 5] [--quick]
     [--profile] [--baseline COMMIT] [--cache DIR]
Figures only; nothing is asserted and nothing is written outside a temporary directory and --cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from itertools import islice
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_store import median_time  # noqa: E402
from generate_synthetic import ROWS_PER_RUN, fill_store, synthetic_rows  # noqa: E402
from pipeline.published import published_rows  # noqa: E402
from pipeline.store import SCHEMA_VERSION, ResultsStore  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
#: Above this many rows no whole-table read is measured (nor a baseline that makes one).
WHOLE_TABLE_LIMIT = 2_000_000
CACHE = Path.home() / ".cache" / "atlas-bench"
QUICK_SIZES = (10_000, 100_000)
PAGES = tuple(sorted(str(p.relative_to(REPO)) for p in (REPO / "pages").glob("[!_]*.py")))


def measure_reads(store_path: Path, n_synthetic: int, repeat: int) -> dict[str, float]:
    """Cold reads of the store, the Parquet floor, and a read after one more run (in a fresh process)."""
    import pandas as pd

    from pipeline.store.files import write_results

    store = ResultsStore(store_path)
    read = store.read_results if n_synthetic <= WHOLE_TABLE_LIMIT else store.snapshot_parts
    start = time.perf_counter()
    frame = read()
    first = time.perf_counter() - start
    again = median_time(read, repeat)
    floor = None
    if n_synthetic <= WHOLE_TABLE_LIMIT:
        floor_file = write_results(frame, store_path.with_name("floor.parquet"))
        floor = median_time(lambda: pd.read_parquet(floor_file), repeat)
    more = islice(synthetic_rows(n_synthetic + ROWS_PER_RUN), n_synthetic, None)
    store.insert_results(list(more), label="one more run")
    after_batch = median_time(read, 1)
    return {"rows": store.count(), "first_read": first, "snapshot_read": again, "floor": floor,
            "after_batch": after_batch}


def _rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


def measure_app(store_path: Path, repeat: int) -> dict[str, float]:
    """AppTest first run, each page's median script time and the peak RSS (run in a fresh process)."""
    from streamlit.testing.v1 import AppTest

    os.environ["ATLAS_STORE"] = str(store_path)
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=600)
    app.query_params["artifacts"] = "1"  # the synthetic rows are test artefacts, hidden unless switched on
    start = time.perf_counter()
    app.run()
    figures = {"app_first_run": time.perf_counter() - start, "rss_after_first_run_mb": _rss_mb()}
    for page in PAGES:
        try:
            app.switch_page(page)
        except ValueError:  # a file in pages/ that the app's navigation does not list (yet)
            continue
        figures[page] = median_time(app.run, repeat)
        if app.exception:
            raise RuntimeError(f"{page}: {app.exception[0].value}")
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def profile_pages(store_path: Path) -> dict[str, dict[str, object]]:
    """Each page's script under cProfile, outside AppTest (Streamlit's bare mode: widgets keep their
    defaults), with the project functions that took the most time: where a slow page spends it."""
    import cProfile
    import logging
    import pstats
    import runpy

    os.environ["ATLAS_STORE"] = str(store_path)
    logging.disable(logging.WARNING)  # bare mode warns on every widget
    found = {}
    for page in PAGES:
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        try:
            runpy.run_path(str(REPO / page), run_name="__page__")
        except BaseException as exc:  # noqa: BLE001 - st.stop() and bare-mode quirks end a page early
            ended = f"ended early: {type(exc).__name__}"
        else:
            ended = "ran to the end"
        profiler.disable()
        seconds = time.perf_counter() - start
        stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        own = [(f"{Path(file).relative_to(REPO)}:{line}({name})", cumulative)
               for (file, line, name), (_, _, _, cumulative, _) in stats.items()
               if file.startswith((str(REPO / "pipeline"), str(REPO / "pages"))) and name != "<module>"]
        found[page] = {"seconds": seconds, "ended": ended, "hotspots": sorted(own, key=lambda f: -f[1])[:3]}
    return found


def _child(mode: str, store_path: Path, n: int, repeat: int, repo: Path = REPO) -> dict[str, float]:
    """Run one measurement in a fresh interpreter, so caches and memory start empty (with the code of ``repo``)."""
    out = subprocess.run(
        [sys.executable, str(repo / "bench" / Path(__file__).name), f"--child-{mode}", str(store_path),
         "--sizes", str(n), "--repeat", str(repeat)],
        capture_output=True, text=True, cwd=repo,
    )
    if out.returncode:
        raise RuntimeError(f"the {mode} measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def generator_version() -> str:
    """A hash of the part of generate_synthetic.py that decides the rows (everything above ``fill_store``):
    an edit to its command line or messages keeps the cached stores (10^7 rows take about an hour to write)."""
    source = (REPO / "bench" / "generate_synthetic.py").read_text(encoding="utf-8")
    return hashlib.sha256(source.split("\ndef fill_store(")[0].encode()).hexdigest()[:12]


def cached_store(n: int, cache: Path) -> tuple[Path, float]:
    """The synthetic store of ``n`` rows in ``cache`` (filled now if missing) and the seconds filling took."""
    path = cache / f"synthetic-{n}-{generator_version()}-v{SCHEMA_VERSION}.db"
    if path.exists():
        return path, 0.0
    cache.mkdir(parents=True, exist_ok=True)
    filling = path.with_name(path.name + ".filling")
    filling.unlink(missing_ok=True)
    start = time.perf_counter()
    fill_store(filling, n)
    filling.rename(path)
    return path, time.perf_counter() - start


def checkout(commit: str, into: Path) -> Path:
    """The code of ``commit`` (app, pages, pipeline, bench, data) unpacked under ``into``."""
    archive = subprocess.run(["git", "archive", commit, "app.py", ".streamlit", "pages", "pipeline", "bench", "data"],
                             cwd=REPO, capture_output=True, check=True)
    (into / "code.tar").write_bytes(archive.stdout)
    with tarfile.open(into / "code.tar") as tar:
        tar.extractall(into, filter="data")
    return into


def _floor_ratio(seconds: float, floor: float | None) -> str:
    return f"({seconds / floor:.1f}× floor)" if floor else "(no floor above 10^6 rows)"


def _print_app(label: str, app: dict[str, float], repeat: int, floor: float | None) -> None:
    print(f"{label}: app first run (fresh process, cold caches)             {app['app_first_run']:7.2f} s")
    print(f"{label}: app process RSS after the first run                   {app['rss_after_first_run_mb']:7.0f} MB")
    for page in PAGES:
        if page not in app:
            print(f"{label}: page {page:<22} not in the app's navigation: skipped")
            continue
        print(f"{label}: page {page:<22} median of {repeat}          {app[page]:7.2f} s  "
              f"{_floor_ratio(app[page], floor)}")
    print(f"{label}: app process peak RSS                                  {app['peak_rss_mb']:7.0f} MB", flush=True)


def bench_size(n: int, repeat: int, cache: Path, profile: bool = False, baseline: str | None = None) -> None:
    cached, fill = cached_store(n, cache)
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        path = Path(tmp) / "synthetic.db"
        start = time.perf_counter()
        shutil.copyfile(cached, path)
        ResultsStore(path).insert_results(published_rows(), label="published")
        copy = time.perf_counter() - start
        reads = _child("reads", path, n, repeat)
        label = f"dashboard {reads['rows']:>10,} rows"
        floor = reads["floor"]
        what = "read_results()" if floor is not None else "snapshot_parts() (streams the snapshot)"
        if fill:
            print(f"{label}: fill the store (synthetic, batches of 50k; cached)  {fill:7.2f} s")
        print(f"{label}: copy the cached store, add the published rows      {copy:7.2f} s")
        print(f"{label}: first {what} of the store (no snapshot) {reads['first_read']:7.2f} s")
        print(f"{label}: {what} again (snapshot), median of {repeat}         {reads['snapshot_read']:7.2f} s")
        if floor is not None:
            print(f"{label}: floor: pandas.read_parquet, median of {repeat}             {floor:7.2f} s")
        print(f"{label}: {what} after one more run ({ROWS_PER_RUN} rows)       "
              f"{reads['after_batch']:7.2f} s", flush=True)
        if baseline:
            with tempfile.TemporaryDirectory(prefix="atlas-baseline-") as old:
                before = _child("app", path, n, repeat, repo=checkout(baseline, Path(old)))
            _print_app(f"{label}: before ({baseline})", before, repeat, floor)
        app = _child("app", path, n, repeat)
        profiles = _child("profile", path, n, repeat) if profile else {}
    _print_app(label, app, repeat, floor)
    for page, found in profiles.items():
        print(f"{label}: profile {page} (bare mode, {found['ended']}): {found['seconds']:.2f} s")
        for where, seconds in found["hotspots"]:
            print(f"{label}:     {seconds:7.2f} s  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES} only (for run_all.py)")
    parser.add_argument("--profile", action="store_true", help="also profile each page: where its time goes")
    parser.add_argument("--baseline", metavar="COMMIT", help="first measure the app of COMMIT on the same store")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"where filled stores are kept (default {CACHE})")
    parser.add_argument("--child-reads", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-app", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_reads:
        print(json.dumps(measure_reads(args.child_reads, args.sizes[0], args.repeat)))
    elif args.child_app:
        print(json.dumps(measure_app(args.child_app, args.repeat)))
    elif args.child_profile:
        print(json.dumps(profile_pages(args.child_profile)))
    else:
        for n in QUICK_SIZES if args.quick else args.sizes:
            bench_size(n, args.repeat, args.cache, args.profile, args.baseline)


if __name__ == "__main__":
    main()

"""Dashboard at scale: cold load, every page's script time and the app's memory at 10^4, 10^5, 10^6 rows.

For each size a temporary store is filled with the synthetic grid (bench/generate_synthetic.py) and
the published results (as the app does on its first start). Then, each in a fresh process:

* reads: the first ``read_results()`` of the new store, a second one (from the snapshot it left),
  the floor: ``pandas.read_parquet`` of the same rows exported to Parquet (median of --repeat), and
  a read after one more synthetic run was inserted (the snapshot plus the rows since);
* app: the first AppTest run of app.py (empty caches: imports, store, first read, Overview), then
  every page's script (median of --repeat runs after switching to it) and the process's peak RSS.

With ``--profile``, each page also runs once under cProfile (outside AppTest) and the three project
functions with the most cumulative time are printed: where a slow page spends it.

Run: .venv/bin/python bench/bench_dashboard.py [--sizes 10000 100000 1000000] [--repeat 5] [--quick] [--profile]
Figures only; nothing is asserted and nothing is written outside a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_store import median_time  # noqa: E402
from generate_synthetic import ROWS_PER_RUN, fill_store, synthetic_rows  # noqa: E402
from pipeline.published import published_rows  # noqa: E402
from pipeline.store import ResultsStore  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
PAGES = tuple(sorted(str(p.relative_to(REPO)) for p in (REPO / "pages").glob("[!_]*.py")))


def measure_reads(store_path: Path, n_synthetic: int, repeat: int) -> dict[str, float]:
    """Cold reads of the store, the Parquet floor, and a read after one more run (in a fresh process)."""
    import pandas as pd

    from pipeline.store.files import write_results

    store = ResultsStore(store_path)
    start = time.perf_counter()
    frame = store.read_results()
    first = time.perf_counter() - start
    again = median_time(store.read_results, repeat)
    floor_file = write_results(frame, store_path.with_name("floor.parquet"))
    floor = median_time(lambda: pd.read_parquet(floor_file), repeat)
    store.insert_results(list(islice(synthetic_rows(), n_synthetic, n_synthetic + ROWS_PER_RUN)), label="one more run")
    after_batch = median_time(store.read_results, 1)
    return {"rows": len(frame), "first_read": first, "snapshot_read": again, "floor": floor,
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


def _child(mode: str, store_path: Path, n: int, repeat: int) -> dict[str, float]:
    """Run one measurement in a fresh interpreter, so caches and memory start empty."""
    out = subprocess.run(
        [sys.executable, __file__, f"--child-{mode}", str(store_path), "--sizes", str(n), "--repeat", str(repeat)],
        capture_output=True, text=True, cwd=REPO,
    )
    if out.returncode:
        raise RuntimeError(f"the {mode} measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_size(n: int, repeat: int, profile: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        path = Path(tmp) / "synthetic.db"
        start = time.perf_counter()
        fill_store(path, n).insert_results(published_rows(), label="published")
        fill = time.perf_counter() - start
        reads = _child("reads", path, n, repeat)
        label = f"dashboard {reads['rows']:>9,} rows"
        floor = reads["floor"]
        print(f"{label}: fill the store (synthetic + published, batches of 50k)  {fill:7.2f} s")
        print(f"{label}: first read_results() of the store (SQLite, no snapshot) {reads['first_read']:7.2f} s")
        print(f"{label}: read_results() again (snapshot), median of {repeat}         {reads['snapshot_read']:7.2f} s")
        print(f"{label}: floor: pandas.read_parquet, median of {repeat}             {floor:7.2f} s")
        print(f"{label}: read_results() after one more run ({ROWS_PER_RUN} rows)       "
              f"{reads['after_batch']:7.2f} s", flush=True)
        app = _child("app", path, n, repeat)
        profiles = _child("profile", path, n, repeat) if profile else {}
    print(f"{label}: app first run (fresh process, cold caches)             {app['app_first_run']:7.2f} s")
    print(f"{label}: app process RSS after the first run                   {app['rss_after_first_run_mb']:7.0f} MB")
    for page in PAGES:
        if page not in app:
            print(f"{label}: page {page:<22} not in the app's navigation: skipped")
            continue
        print(f"{label}: page {page:<22} median of {repeat}          {app[page]:7.2f} s  "
              f"({app[page] / floor:.1f}× floor)")
    print(f"{label}: app process peak RSS                                  {app['peak_rss_mb']:7.0f} MB", flush=True)
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
            bench_size(n, args.repeat, args.profile)


if __name__ == "__main__":
    main()

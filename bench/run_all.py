"""Run every benchmark in bench/ and print their figures as one table.

Run: .venv/bin/python bench/run_all.py [--quick] [--timeout SECONDS]

Each ``bench_*.py`` runs in its own process, one after another (they share 2 cores), and prints its
own figure lines; this script only gathers them. With ``--quick``, a script whose source declares a
``--quick`` option gets it (its small sizes); the others run with their defaults. A script that
fails or exceeds its time (``--timeout``; 240 s each with ``--quick``) is reported in the table and
does not stop the others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def command(script: Path, quick: bool) -> list[str]:
    """How to run ``script``: with ``--quick`` when asked for and the script offers it."""
    offers_quick = '"--quick"' in script.read_text(encoding="utf-8")
    return [sys.executable, str(script), *(["--quick"] if quick and offers_quick else [])]


def run(script: Path, quick: bool, timeout: float | None) -> tuple[str, float, list[str]]:
    """(status, seconds, figure lines) of one benchmark script."""
    cmd = command(script, quick)
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=BENCH.parent,
                              env={**os.environ, **OFFLINE})
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return f"timed out after {timeout:.0f} s", time.perf_counter() - start, output.splitlines()
    seconds = time.perf_counter() - start
    lines = done.stdout.splitlines()
    if done.returncode:
        error = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        return f"failed ({done.returncode}): {error}", seconds, lines
    return "ok", seconds, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: the whole run fits in ~5 minutes")
    parser.add_argument("--timeout", type=float, help="seconds per script (default: 240 with --quick, else none)")
    args = parser.parse_args()
    timeout = args.timeout or (240 if args.quick else None)
    scripts = sorted(BENCH.glob("bench_*.py"))
    rows = []
    start = time.perf_counter()
    for script in scripts:
        print(f"running {script.name} …", file=sys.stderr, flush=True)
        status, seconds, lines = run(script, args.quick, timeout)
        figures = [line.strip() for line in lines if line.strip()] or ["(no figures)"]
        rows.append((script.name, f"{status}, {seconds:.0f} s", figures))
    width = max(len(name) for name, _, _ in rows)
    status_width = max(len(status) for _, status, _ in rows)
    print(f"{'benchmark':<{width}}  {'status':<{status_width}}  figure")
    print(f"{'-' * width}  {'-' * status_width}  {'-' * 60}")
    for name, status, figures in rows:
        for i, figure in enumerate(figures):
            print(f"{name if i == 0 else '':<{width}}  {status if i == 0 else '':<{status_width}}  {figure}")
    print(f"\n{len(rows)} benchmarks in {time.perf_counter() - start:.0f} s "
          f"({os.cpu_count()} CPUs{', --quick' if args.quick else ''})")


if __name__ == "__main__":
    main()

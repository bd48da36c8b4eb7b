"""Time all pairwise distances among the XTREME-R languages (6 types): shipped cache vs lang2vec calls.

Run: ``.venv/bin/python bench/bench_typology.py [--repeat 5] [--urielplus]``. Prints figures only;
asserts nothing. "cold" includes parsing the CSV, "warm" reuses the parsed table (the dashboard's
case after its first page load); the live path starts from an imported but unqueried lang2vec and
fetches each feature set once for all languages (``fam`` dominates). ``--urielplus`` also times the
URIEL+ path (integrating its databases, ~1-2 min).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.tasks import target_tasks  # noqa: E402
from pipeline.typology import DISTANCE_TYPES, compute_table, distance_table  # noqa: E402
from pipeline.typology import cache, lang2vec_source  # noqa: E402


def xtreme_r_languages() -> list[str]:
    codes = {"en"}
    for task in target_tasks().values():
        codes.update(task.languages_by_benchmark.get("xtreme-r", ()))
    return sorted(codes)


def timed(run: Callable[[], object], before: Callable[[], None], repeat: int) -> float:
    """Median seconds of ``run`` over ``repeat`` runs, ``before`` called untimed ahead of each."""
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--urielplus", action="store_true", help="also time the live URIEL+ path")
    args = parser.parse_args()
    langs = xtreme_r_languages()
    pairs = len(langs) * len(langs) * len(DISTANCE_TYPES)
    print(f"{len(langs)} XTREME-R languages x {len(DISTANCE_TYPES)} types = {pairs} ordered pairs per source")

    start = time.perf_counter()
    lang2vec_source._lang2vec()
    print(f"import lang2vec (once per process):        {time.perf_counter() - start:8.3f} s")

    def from_cache() -> object:
        return distance_table(langs, DISTANCE_TYPES, "lang2vec")

    cold = timed(from_cache, cache._read.cache_clear, args.repeat)
    warm = timed(from_cache, lambda: None, args.repeat)
    live = timed(lambda: compute_table(langs, DISTANCE_TYPES, "lang2vec"),
                 lang2vec_source._feature_set.cache_clear, max(1, args.repeat // 2))
    print(f"from cache, cold (CSV parsed):             {cold * 1000:8.1f} ms")
    print(f"from cache, warm (parsed table reused):    {warm * 1000:8.1f} ms")
    print(f"live through lang2vec (after import):      {live:8.3f} s")
    print(f"speed-up: {live / cold:,.0f}x cold, {live / warm:,.0f}x warm")
    if args.urielplus:
        start = time.perf_counter()
        compute_table(langs, DISTANCE_TYPES, "urielplus")
        print(f"live through URIEL+ (incl. integration):   {time.perf_counter() - start:8.3f} s")


if __name__ == "__main__":
    main()

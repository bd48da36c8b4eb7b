"""Tatoeba-sized exact top-1 retrieval: the pipeline's search vs a naive loop.

Run: .venv/bin/python bench/bench_retrieval.py [--quick]
36 languages x 1,000 sentence pairs of random 1,024-dimensional embeddings (XLM-R Large's width),
float32. The naive loop scores one query at a time with the same cosine (a Python loop over
queries, each a vector-matrix product); both must return the same indices.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.metrics import top1_retrieval  # noqa: E402


def naive_top1(src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """One query at a time: cosine against every target, best index."""
    tgt_unit = tgt / np.linalg.norm(tgt, axis=1, keepdims=True)
    best = np.empty(len(src), dtype=np.int64)
    for i, query in enumerate(src):
        best[i] = int(np.argmax(tgt_unit @ (query / np.linalg.norm(query))))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="6 languages instead of 36")
    args = parser.parse_args()
    n_languages, n_pairs, dim = (6 if args.quick else 36), 1_000, 1_024
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(n_languages):
        english = rng.standard_normal((n_pairs, dim), dtype=np.float32)
        pairs.append((english + 0.8 * rng.standard_normal((n_pairs, dim), dtype=np.float32), english))

    start = time.perf_counter()
    fast = [top1_retrieval(foreign, english) for foreign, english in pairs]
    fast_s = time.perf_counter() - start
    start = time.perf_counter()
    slow = [naive_top1(foreign, english) for foreign, english in pairs]
    slow_s = time.perf_counter() - start
    assert all(np.array_equal(a, b) for a, b in zip(fast, slow)), "the two searches disagree"
    print(f"retrieval  {n_languages} languages x {n_pairs:,} pairs, dim {dim}: "
          f"pipeline {fast_s:.2f} s vs naive per-query loop {slow_s:.2f} s ({slow_s / fast_s:.1f}x)")


if __name__ == "__main__":
    main()

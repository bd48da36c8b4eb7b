"""BUCC mining at real size: time, peak memory and recall of planted pairs on synthetic embeddings.

Run: .venv/bin/python bench/bench_bucc_mining.py --n 100000 [--method auto|exact|ivf] [--nprobe 8]
Each side holds N 1,024-dimensional embeddings (XLM-R Large's width) drawn around 1,000 random topic centres
(within-topic cosine about 0.5, like sentence embeddings, which are far from uniform); N/40 target rows are
planted translations of source rows (the source row plus noise: cosine about 0.7), about BUCC's share of
gold pairs. Mining is ``pipeline.evaluate.mining.mine`` (ratio margin k=4, 'max' strategy, margin > 0).
Printed: seconds (generation and mining apart; wall clock and CPU time, which differ on a shared machine),
peak RSS of the process, recall of the planted pairs among the mined candidates, and precision/recall/F1 at
the threshold that is best on the planted pairs.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.evaluate.mining import METHODS, IvfSettings, mine  # noqa: E402
from pipeline.metrics import bucc_best_threshold, bucc_f1, pairs_at_threshold  # noqa: E402

DIM, TOPICS, BLOCK = 1024, 1000, 20_000


def _unit_half(block: np.ndarray) -> np.ndarray:
    return (block / np.linalg.norm(block, axis=1, keepdims=True)).astype(np.float16)


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, set[tuple[int, int]]]:
    """Normalised float16 source and target embeddings and the planted (source row, target row) pairs."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((TOPICS, DIM), dtype=np.float32)
    x = np.empty((n, DIM), dtype=np.float16)
    y = np.empty((n, DIM), dtype=np.float16)
    for start in range(0, n, BLOCK):
        rows = slice(start, min(start + BLOCK, n))
        size = rows.stop - rows.start
        for side in (x, y):
            noise = rng.standard_normal((size, DIM), dtype=np.float32)
            side[rows] = _unit_half(centres[rng.integers(TOPICS, size=size)] + noise)
    planted = n // 40
    sources = rng.choice(n, planted, replace=False)
    targets = rng.choice(n, planted, replace=False)
    for start in range(0, planted, BLOCK):
        part = slice(start, min(start + BLOCK, planted))
        noise = rng.standard_normal((part.stop - part.start, DIM), dtype=np.float32) * np.float32(0.032)
        y[targets[part]] = _unit_half(x[sources[part]].astype(np.float32) + noise)
    return x, y, {(int(s), int(t)) for s, t in zip(sources, targets)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="sentences per side (default 100000)")
    parser.add_argument("--method", choices=METHODS, default="auto")
    parser.add_argument("--nprobe", type=int, default=IvfSettings.nprobe)
    parser.add_argument("--pca-dim", type=int, default=IvfSettings.pca_dim)
    args = parser.parse_args()
    start = time.perf_counter()
    x, y, planted = synthetic(args.n)
    generated = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    mined = mine(x, y, k=4, method=args.method, ivf=IvfSettings(pca_dim=args.pca_dim, nprobe=args.nprobe))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    gold = {(str(s), str(t)) for s, t in planted}
    candidates = [(str(s), str(t), score) for s, t, score in mined]
    found = len(gold & {(s, t) for s, t, _ in candidates})
    best = bucc_f1(pairs_at_threshold(candidates, bucc_best_threshold(candidates, gold)), gold)
    print(f"n={args.n} per side, dim {DIM}, {len(planted)} planted pairs, method {args.method}")
    print(f"generation {generated:.1f} s; mining {seconds:.1f} s wall, {cpu_seconds:.1f} s CPU (all threads); "
          f"peak RSS {peak_gib:.2f} GiB")
    print(f"{len(mined)} candidates (margin > 0); recall of planted pairs among them {100 * found / len(gold):.2f}%")
    print(f"at the best threshold: P {best['precision']:.2f} R {best['recall']:.2f} F1 {best['f1']:.2f}")


if __name__ == "__main__":
    main()

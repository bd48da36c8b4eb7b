"""BUCC bitext mining at real size (~4×10^5 sentences per side) in bounded memory.

XTREME mines with faiss flat (exact) indexes in both directions, then applies the ratio margin and the 'max'
strategy (``pipeline.metrics.retrieval.max_strategy``). Exact search costs 2·n²·d FLOPs per direction —
3×10^14 at n = 4×10^5, d = 1024: seconds on a GPU, hours on two CPU cores. So:

- ``exact``: chunked top-k with torch (CUDA when present, else CPU); memory is one block of similarities
  plus the running top-k, never the n×n matrix. Same neighbours as the in-memory search.
- ``ivf``: approximate candidates from faiss (vectors projected on the top ``pca_dim`` eigenvectors of their
  second moment, an inverted-file index over ``nlist`` k-means cells, ``nprobe`` cells searched),
  ``rerank``·k candidates per query re-scored with exact cosines of the full vectors, keeping the k best.
  Recall against exact mining is measured by ``bench/bench_bucc_mining.py``.
- ``auto``: exact on CUDA or for small corpora (at most ``EXACT_PAIRS`` similarity pairs), else ivf.

Embeddings are L2-normalised into float32 for exact search (XTREME's faiss precision) and float16 for ivf (2
bytes per value: 1.6 GB for both sides at real size), converted to float32 a block at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pipeline.metrics.retrieval import Neighbours, max_strategy

Method = Literal["auto", "exact", "ivf"]
METHODS: tuple[str, ...] = ("auto", "exact", "ivf")
#: Largest n_queries × n_keys searched exactly on a CPU by ``auto`` (about a minute on 2 cores).
EXACT_PAIRS = 4 * 10**8
_BLOCK_ROWS = 8192


def _blocks(n: int, rows: int = _BLOCK_ROWS) -> Iterator[slice]:
    for start in range(0, n, rows):
        yield slice(start, min(start + rows, n))


def normalized(a: np.ndarray, dtype: type = np.float32, name: str = "embeddings") -> np.ndarray:
    """Rows scaled to unit L2 norm, stored as ``dtype``, converted block by block (no full float32 copy)."""
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array of embeddings (rows), got shape {a.shape}")
    if a.dtype == dtype == np.float16 and all(np.allclose(np.linalg.norm(a[rows].astype(np.float32), axis=1), 1,
                                                         atol=2e-3) for rows in _blocks(a.shape[0])):
        return a  # already what ivf keeps: no second copy of a real-size corpus
    out = np.empty(a.shape, dtype=dtype)
    for rows in _blocks(a.shape[0]):
        block = np.asarray(a[rows], dtype=np.float32)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        out[rows] = block / np.where(norms > 0, norms, 1)
    return out


def _device(device: str | None) -> str:
    import torch

    return device or ("cuda" if torch.cuda.is_available() else "cpu")


def exact_knn(queries: np.ndarray, keys: np.ndarray, k: int, device: str | None = None,
              block_rows: int = _BLOCK_ROWS) -> Neighbours:
    """The k largest cosines of each (normalised) query row among the (normalised) key rows, best first.

    Queries and keys are both taken ``block_rows`` at a time, so memory is one block_rows² block of
    similarities and the running top-k of one query block.
    """
    import torch

    device = _device(device)
    k = min(k, keys.shape[0])
    sims = np.empty((queries.shape[0], k), dtype=np.float32)
    inds = np.empty((queries.shape[0], k), dtype=np.int64)
    key_blocks = [(rows.start, torch.from_numpy(np.asarray(keys[rows], dtype=np.float32)).to(device))
                  for rows in _blocks(keys.shape[0], block_rows)] if device != "cpu" else None
    with torch.no_grad():
        for q_rows in _blocks(queries.shape[0], block_rows):
            q = torch.from_numpy(np.asarray(queries[q_rows], dtype=np.float32)).to(device)
            best_sims = torch.full((q.shape[0], k), -math.inf, device=device)
            best_inds = torch.zeros((q.shape[0], k), dtype=torch.int64, device=device)
            for start, block in key_blocks or _cpu_blocks(keys, block_rows):
                part = q @ block.T
                part_sims, part_inds = torch.topk(part, min(k, part.shape[1]), dim=1)
                merged_sims = torch.cat((best_sims, part_sims), dim=1)
                merged_inds = torch.cat((best_inds, part_inds + start), dim=1)
                best_sims, order = torch.topk(merged_sims, k, dim=1)
                best_inds = torch.gather(merged_inds, 1, order)
            sims[q_rows], inds[q_rows] = best_sims.cpu().numpy(), best_inds.cpu().numpy()
    return sims, inds


def _cpu_blocks(keys: np.ndarray, block_rows: int) -> Iterator[tuple[int, object]]:
    import torch

    for rows in _blocks(keys.shape[0], block_rows):
        yield rows.start, torch.from_numpy(np.asarray(keys[rows], dtype=np.float32))


@dataclass(frozen=True)
class IvfSettings:
    """The approximate search: PCA size, k-means cells (default sqrt(nprobe·n), which balances assigning
    queries to cells against scanning them), cells probed, candidates re-ranked per neighbour wanted, and the
    k-means training (``points_per_cell`` sampled points per cell, ``kmeans_iterations``)."""

    pca_dim: int = 256
    nlist: int | None = None
    nprobe: int = 8
    rerank: int = 2
    points_per_cell: int = 20
    kmeans_iterations: int = 10
    seed: int = 0


def _projection(sample: np.ndarray, dim: int) -> np.ndarray:
    """(d, dim) top eigenvectors of the sample's uncentred second moment: inner products survive projection."""
    moment = sample.T @ sample
    _, vectors = np.linalg.eigh(moment)
    return np.ascontiguousarray(vectors[:, ::-1][:, :dim], dtype=np.float32)


def _reduced(a: np.ndarray, projection: np.ndarray) -> np.ndarray:
    out = np.empty((a.shape[0], projection.shape[1]), dtype=np.float32)
    for rows in _blocks(a.shape[0]):
        out[rows] = np.asarray(a[rows], dtype=np.float32) @ projection
    return out


def _exact_rerank(queries: np.ndarray, keys: np.ndarray, candidates: np.ndarray, k: int) -> Neighbours:
    """The k best of each query's candidate indices by exact cosine (a -1 candidate is faiss's 'none')."""
    import torch

    key_rows = torch.from_numpy(keys)
    sims = np.empty((queries.shape[0], k), dtype=np.float32)
    inds = np.empty((queries.shape[0], k), dtype=np.int64)
    for rows in _blocks(queries.shape[0], 4096):
        cand = torch.from_numpy(candidates[rows])
        q = torch.from_numpy(np.asarray(queries[rows])).float()
        vectors = key_rows[cand.clamp(min=0)].float()
        scores = torch.bmm(vectors, q.unsqueeze(2)).squeeze(2).masked_fill(cand < 0, -math.inf)
        best, order = torch.topk(scores, k, dim=1)
        sims[rows], inds[rows] = best.numpy(), torch.gather(cand, 1, order).numpy()
    return sims, inds


def _sample(sides: tuple[np.ndarray, ...], size: int, rng: np.random.Generator) -> np.ndarray:
    """About ``size`` rows drawn evenly from the sides, as float32."""
    per_side = max(1, size // len(sides))
    return np.concatenate([side[np.sort(rng.choice(side.shape[0], min(side.shape[0], per_side), replace=False))]
                           for side in sides]).astype(np.float32)


def ivf_knn_both(x: np.ndarray, y: np.ndarray, k: int, settings: IvfSettings = IvfSettings()
                 ) -> tuple[Neighbours, Neighbours]:
    """Approximate neighbours of x among y and of y among x: one projection and one k-means quantizer
    (trained on a sample of both sides) serve both directions; candidates are re-ranked exactly."""
    import faiss

    rng = np.random.default_rng(settings.seed)
    nlist = settings.nlist or int(math.sqrt(settings.nprobe * max(x.shape[0], y.shape[0])))
    nlist = max(1, min(nlist, (x.shape[0] + y.shape[0]) // 39))
    sample = _sample((x, y), max(4 * settings.pca_dim, settings.points_per_cell * nlist), rng)
    projection = _projection(sample, min(settings.pca_dim, x.shape[1]))
    dim = projection.shape[1]
    clustering = faiss.Clustering(dim, nlist)
    clustering.niter, clustering.seed, clustering.spherical = settings.kmeans_iterations, settings.seed, True
    clustering.min_points_per_centroid = 1
    quantizer = faiss.IndexFlatIP(dim)
    clustering.train(np.ascontiguousarray(sample @ projection), quantizer)
    del sample
    reduced = (_reduced(x, projection), _reduced(y, projection))
    found = []
    for (queries, q_reduced), (keys, k_reduced) in (((x, reduced[0]), (y, reduced[1])),
                                                    ((y, reduced[1]), (x, reduced[0]))):
        index = faiss.IndexIVFFlat(faiss.clone_index(quantizer), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.is_trained = True
        index.add(k_reduced)
        index.nprobe = min(settings.nprobe, nlist)
        want = min(keys.shape[0], max(k, settings.rerank * k))
        candidates = np.concatenate([index.search(q_reduced[rows], want)[1] for rows in _blocks(queries.shape[0])])
        del index
        found.append(_exact_rerank(queries, keys, candidates, min(k, keys.shape[0])))
    return found[0], found[1]


def mine(x: np.ndarray, y: np.ndarray, k: int = 4, threshold: float = 0.0, method: Method = "auto",
         device: str | None = None, ivf: IvfSettings = IvfSettings()) -> list[tuple[int, int, float]]:
    """BUCC candidates ``(src row, tgt row, margin)`` with margin above ``threshold`` ('max' strategy), mined
    from embeddings of any size (see the module docstring for ``method``)."""
    if method not in METHODS:
        raise ValueError(f"unknown mining method {method!r}; one of {', '.join(METHODS)}")
    if k < 1:
        raise ValueError(f"margin neighbourhood k must be >= 1, got {k}")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"embedding sizes differ: {x.shape[1]} vs {y.shape[1]}")
    device = _device(device)
    if method == "auto":
        method = "exact" if device != "cpu" or x.shape[0] * y.shape[0] <= EXACT_PAIRS else "ivf"
    dtype = np.float32 if method == "exact" else np.float16
    x, y = normalized(x, dtype, "x"), normalized(y, dtype, "y")
    if method == "exact":
        forward, backward = exact_knn(x, y, k, device), exact_knn(y, x, k, device)
    else:
        forward, backward = ivf_knn_both(x, y, k, ivf)
    return max_strategy(forward, backward, threshold)

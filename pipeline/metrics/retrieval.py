"""Exact cosine retrieval with numpy: Tatoeba top-1 search and BUCC ratio-margin mining.

XTREME (``third_party/utils_retrieve.py``) uses faiss flat indexes over L2-normalised embeddings, i.e. exact
cosine search; here the same search is a chunked matrix product, so memory stays bounded (about
``_CHUNK_BYTES`` per block of similarities) and no faiss is needed. Top-1 ties go to the lower index (faiss
leaves ties unspecified).

Ratio margin (Artetxe & Schwenk 2019), as in XTREME's ``mine_bitext``:
``margin(x, y) = cos(x, y) / ((mean cos of x to its k nearest y + mean cos of y to its k nearest x) / 2)``,
with k = min(k, size of the searched side); each source only considers its k nearest targets as candidates.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pipeline.metrics.classification import accuracy

_CHUNK_BYTES = 1 << 27  # 128 MiB of similarities per block


def _normalized(a: np.ndarray, name: str) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), in at least float32."""
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array of embeddings (rows), got shape {a.shape}")
    a = a.astype(np.result_type(a.dtype, np.float32), copy=False)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(norms > 0, norms, 1)


def _check_dims(x: np.ndarray, y: np.ndarray) -> None:
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"embedding sizes differ: {x.shape[1]} vs {y.shape[1]}")


def _row_blocks(n_rows: int, n_cols: int, itemsize: int) -> Iterator[slice]:
    """Row slices whose similarity block against ``n_cols`` columns fits ``_CHUNK_BYTES``."""
    step = max(1, _CHUNK_BYTES // max(1, n_cols * itemsize))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _cosine_topk(queries: np.ndarray, keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest cosines of each (normalised) query against (normalised) keys, best first, and their indices."""
    sims = np.empty((queries.shape[0], k), dtype=np.float64)
    inds = np.empty((queries.shape[0], k), dtype=np.int64)
    for rows in _row_blocks(queries.shape[0], keys.shape[0], queries.itemsize):
        block = queries[rows] @ keys.T
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        part_sims = np.take_along_axis(block, part, axis=1)
        order = np.lexsort((part, -part_sims), axis=1)  # by similarity, then lower index
        inds[rows] = np.take_along_axis(part, order, axis=1)
        sims[rows] = np.take_along_axis(part_sims, order, axis=1)
    return sims, inds


def top1_retrieval(src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """For each row of ``src``, the index of the most cosine-similar row of ``tgt``."""
    x, y = _normalized(src, "src"), _normalized(tgt, "tgt")
    _check_dims(x, y)
    best = np.empty(x.shape[0], dtype=np.int64)
    for rows in _row_blocks(x.shape[0], y.shape[0], x.itemsize):
        best[rows] = np.argmax(x[rows] @ y.T, axis=1)
    return best


def retrieval_accuracy(src: np.ndarray, tgt: np.ndarray) -> float:
    """Top-1 accuracy (0–100) of retrieving ``tgt[i]`` for ``src[i]`` (gold alignment i <-> i)."""
    if len(src) != len(tgt):
        raise ValueError(f"aligned retrieval needs as many targets as sources: {len(src)} vs {len(tgt)}")
    return accuracy(top1_retrieval(src, tgt).tolist(), list(range(len(src))))


def tatoeba_accuracy(foreign: np.ndarray, english: np.ndarray) -> float:
    """Tatoeba accuracy (0–100) in XTREME's direction: each English sentence retrieves its foreign pair.

    XTREME ``run_retrieval.py`` indexes the non-English side and searches it with the English embeddings.
    """
    return retrieval_accuracy(english, foreign)


#: k nearest neighbours of each query row: (cosines best first, indices), both of shape (queries, k).
Neighbours = tuple[np.ndarray, np.ndarray]


def _margin_best(
    sims: np.ndarray, inds: np.ndarray, own_mean: np.ndarray, other_mean: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per query, the candidate with the highest ratio margin and that margin."""
    scores = sims / ((own_mean[:, None] + other_mean[inds]) / 2)
    pick = np.argmax(scores, axis=1)
    rows = np.arange(sims.shape[0])
    return inds[rows, pick], scores[rows, pick]


def margin_best(forward: Neighbours, backward: Neighbours) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Forward and backward (best index, ratio margin) from the k nearest neighbours found each way."""
    fwd_mean, bwd_mean = forward[0].mean(axis=1), backward[0].mean(axis=1)
    return _margin_best(*forward, fwd_mean, bwd_mean), _margin_best(*backward, bwd_mean, fwd_mean)


def _neighbours(x: np.ndarray, y: np.ndarray, k: int) -> tuple[Neighbours, Neighbours]:
    """The k nearest neighbours (cosine) of each row of x among y, and of each row of y among x."""
    if k < 1:
        raise ValueError(f"margin neighbourhood k must be >= 1, got {k}")
    x, y = _normalized(x, "x"), _normalized(y, "y")
    _check_dims(x, y)
    return _cosine_topk(x, y, min(k, y.shape[0])), _cosine_topk(y, x, min(k, x.shape[0]))


def margin_scores(x: np.ndarray, y: np.ndarray, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Best target index for each source row of ``x`` by ratio margin over its k nearest ``y``, and that score."""
    (best, score), _ = margin_best(*_neighbours(x, y, k))
    return best, score


def max_strategy(forward: Neighbours, backward: Neighbours, threshold: float = 0.0) -> list[tuple[int, int, float]]:
    """XTREME's ``mine_bitext`` 'max' retrieval on neighbours already found both ways (see ``mine_candidates``)."""
    (fwd_best, fwd_score), (bwd_best, bwd_score) = margin_best(forward, backward)
    src = np.concatenate((np.arange(len(fwd_best)), bwd_best))
    tgt = np.concatenate((fwd_best, np.arange(len(bwd_best))))
    scores = np.concatenate((fwd_score, bwd_score))
    seen_src: set[int] = set()
    seen_tgt: set[int] = set()
    pairs = []
    for i in np.argsort(-scores, kind="stable"):
        s, t = int(src[i]), int(tgt[i])
        if s in seen_src or t in seen_tgt:
            continue
        seen_src.add(s)
        seen_tgt.add(t)
        if scores[i] > threshold:
            pairs.append((s, t, float(scores[i])))
    return pairs


def mine_candidates(x: np.ndarray, y: np.ndarray, k: int = 4, threshold: float = 0.0) -> list[tuple[int, int, float]]:
    """BUCC candidate pairs ``(src index, tgt index, margin)`` by XTREME's ``mine_bitext`` 'max' retrieval.

    Forward and backward best pairs are pooled, visited by decreasing margin (stable order on ties), and a
    pair is taken only if neither side was visited before; it is returned if its margin exceeds ``threshold``
    (XTREME writes candidates with a margin above 0). XTREME first collapses identical sentences to one
    embedding and later drops sentences that occur under several ids; that de-duplication belongs to the
    caller, which maps indices to sentence ids. Exact search in memory; ``pipeline.evaluate.mining`` mines
    corpora of real size.
    """
    return max_strategy(*_neighbours(x, y, k), threshold)

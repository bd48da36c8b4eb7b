"""Mean average precision at k over ranked retrieval lists (Mewsli-X in XTREME-R: mAP@20).

AP@k of one query = sum over the ranks r <= k holding a not-yet-seen gold id of (gold ids within the top r) / r,
divided by the number of gold ids. Mewsli-X has exactly one gold entity per mention, where this is the
reciprocal rank of the gold entity within the top k (0 if absent), i.e. XTREME's ``utils_mewslix.evaluate``
(MRR@20). With ``k=None`` the whole list counts, which equals sklearn's average precision of an untied
ranking (the LAReQA definition) when every gold id appears in it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence, Set

from pipeline.metrics.classification import check_paired


def average_precision_at_k(ranked: Sequence[Hashable], gold: Set[Hashable], k: int | None = 20) -> float:
    """AP@k (0–1) of one ranked list against its set of gold ids."""
    if not gold:
        raise ValueError("average precision needs at least one gold id per query")
    hits = 0
    total = 0.0
    seen: set[Hashable] = set()
    for rank, item in enumerate(ranked[:k], start=1):
        if item in gold and item not in seen:
            seen.add(item)
            hits += 1
            total += hits / rank
    return total / len(gold)


def map_at_k(ranked: Sequence[Sequence[Hashable]], gold: Sequence[Set[Hashable]], k: int | None = 20) -> float:
    """Mean AP@k (0–100) over queries; a query without predictions should be passed as an empty list (AP 0)."""
    check_paired(ranked, gold, "map_at_k")
    if k is not None and k < 1:
        raise ValueError(f"map_at_k: k must be >= 1 or None, got {k}")
    return 100.0 * sum(average_precision_at_k(r, g, k) for r, g in zip(ranked, gold)) / len(gold)

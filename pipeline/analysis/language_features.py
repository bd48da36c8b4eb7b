"""One row per language with what the literature relates transfer to, and the number to explain.

``language_frame``: its URIEL distances to the source language(s) (one column per distance type),
log10 of its pretraining-corpus size, its script and family (``pipeline.typology.languages``).
``target_values``: the per-language gap, score or gain of one condition. Joining the two is where
languages drop out (no size published, no score stored); nothing here fills a value in.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.analysis.correlation import per_language
from pipeline.analysis.gains import with_gains, with_transfer_gap
from pipeline.tasks import BASELINE
from pipeline.typology import DISTANCE_TYPES, get_language

#: What a transfer model can explain: the gap to the source language, the score, the gain over the baseline.
TARGETS: tuple[str, ...] = ("gap", "score", "gain")
TARGET_LABELS = {"gap": "transfer gap (source − language)", "score": "score", "gain": "gain from intermediate training"}
SIZE_FEATURE = "log_size"
CATEGORICAL_FEATURES: tuple[str, ...] = ("script", "family")
NUMERIC_FEATURES: tuple[str, ...] = (*DISTANCE_TYPES, SIZE_FEATURE)


def language_frame(distances: pd.DataFrame, sizes: pd.DataFrame | None, languages: Sequence[str]) -> pd.DataFrame:
    """``language, name, family, script, <distance types…>, log_size`` for ``languages`` (NaN where unknown).

    ``distances``: ``distance_type, language, distance`` (``correlation.source_distances``);
    ``sizes``: ``language, log_size`` (``typology.pretraining_sizes``), or None when the model's corpus is unknown.
    """
    wide = distances.pivot_table(index="language", columns="distance_type", values="distance", dropna=False)
    info = [get_language(code) for code in languages]
    frame = pd.DataFrame({
        "language": list(languages), "name": [i.name for i in info], "family": [i.family for i in info],
        "script": [i.script for i in info],
    })
    frame = frame.merge(wide.reindex(columns=list(DISTANCE_TYPES)).reset_index(), on="language", how="left")
    size = sizes[["language", SIZE_FEATURE]] if sizes is not None else pd.DataFrame(columns=["language", SIZE_FEATURE])
    return frame.merge(size, on="language", how="left").astype({SIZE_FEATURE: float})


def target_values(
    rows: pd.DataFrame, target: str, *, intermediate: str = BASELINE, source_languages: Sequence[str] = ("en",)
) -> pd.DataFrame:
    """``language, value``: the ``target`` of every language (source languages left out), for one condition.

    ``rows``: per-language store rows of one model, task, metric, setting, split and perturbation,
    baselines included (a gain needs them); ``intermediate`` picks the condition measured. A
    ValueError says what is missing (a gain of the baseline, the source language's score for a gap).
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    if target == "gain" and intermediate == BASELINE:
        raise ValueError("a gain is measured after intermediate training: choose an intermediate task")
    column = {"score": "value", "gain": "gain", "gap": "transfer_gap"}[target]
    enriched = with_gains(rows) if target == "gain" else rows
    if target == "gap":
        if not (rows["language"] == source_languages[0]).any():
            raise ValueError(f"no {source_languages[0]} score in these results: the gap is measured from it")
        enriched = with_transfer_gap(rows, source_languages[0])
    chosen = enriched[(enriched["intermediate_task"] == intermediate) & ~enriched["language"].isin(source_languages)]
    if chosen.empty:
        raise ValueError(f"no per-language results with intermediate task {intermediate!r} in this selection")
    return per_language(chosen, column)

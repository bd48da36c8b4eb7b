"""Point gains over the baseline and English-vs-language transfer gaps.

A *gain* is a row's value minus its baseline's (DESIGN.md): the run named by ``baseline_run_id``
when the row carries one, else the unique run of the same source with ``intermediate_task ==
'none'`` and the same model, target task, language, metric, split, setting, perturbation and seed.
A *transfer gap* is the English value minus the language's value of the same run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.analysis.stats import MATCH_COLUMNS
from pipeline.tasks import BASELINE, LANGUAGE_MEAN


def _seed_key(seed: pd.Series) -> pd.Series:
    """Seeds as a join key where a missing seed matches a missing seed."""
    return seed.astype("Int64").astype("string").fillna("-")


def with_gains(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` plus ``baseline_value`` and ``gain`` (NaN where no single baseline exists)."""
    frame = results.copy()
    frame["_seed"] = _seed_key(frame["seed"])
    base = frame[frame["intermediate_task"] == BASELINE]
    keys = [*MATCH_COLUMNS, "_seed"]

    explicit = base[["run_id", *keys, "value"]].rename(columns={"run_id": "baseline_run_id", "value": "_explicit"})
    frame = frame.merge(explicit.drop_duplicates(["baseline_run_id", *keys]), on=["baseline_run_id", *keys], how="left")

    # Without an explicit link, accept a baseline only if it is the only one in the row's source.
    implicit = base.groupby(["source_id", *keys], dropna=False)["value"].agg(["first", "size"]).reset_index()
    implicit = implicit[implicit["size"] == 1].rename(columns={"first": "_implicit"}).drop(columns="size")
    frame = frame.merge(implicit, on=["source_id", *keys], how="left")

    is_base = frame["intermediate_task"] == BASELINE
    frame["baseline_value"] = np.where(is_base, frame["value"], frame["_explicit"].fillna(frame["_implicit"]))
    frame["gain"] = frame["value"] - frame["baseline_value"]
    return frame.drop(columns=["_seed", "_explicit", "_implicit"])


def with_transfer_gap(results: pd.DataFrame, source_language: str = "en") -> pd.DataFrame:
    """``results`` plus ``english_value`` and ``transfer_gap`` = source-language value − value.

    Matched within a run (same run, target task, metric, split, setting, perturbation, seed,
    intermediate task, MLM); published means over languages get no gap.
    """
    frame = results.copy()
    frame["_seed"] = _seed_key(frame["seed"])
    keys = ["run_id", "model", "intermediate_task", "mlm_cotraining", "target_task", "metric", "split", "setting",
            "perturbation", "_seed"]
    english = frame[frame["language"] == source_language][[*keys, "value"]]
    english = english.drop_duplicates(keys).rename(columns={"value": "english_value"})
    frame = frame.merge(english, on=keys, how="left")
    frame.loc[frame["language"] == LANGUAGE_MEAN, "english_value"] = np.nan
    frame["transfer_gap"] = frame["english_value"] - frame["value"]
    return frame.drop(columns="_seed")

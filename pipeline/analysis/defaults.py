"""What a view opens on and which controls it offers: the most informative choice, decided from the data.

Rules (pages call these instead of hard-coding a first option):
- settings: zero-shot first (the question the project asks), else the setting with the most rows;
  for a size curve, zero-shot where it has enough sizes for a fit, else the setting with the most sizes;
- model family of a size curve: the one with the most zero-shot sizes;
- series: the one with the most languages (a model with one bar says nothing about transfer);
- significance controls only where some condition has more than one seed (a single published number
  cannot be tested, so a test, a correction and a mask would change nothing);
- input conditions: clean inputs first (what every view but Robustness is about), then the perturbations by name.
"""

from __future__ import annotations

import pandas as pd

from pipeline.analysis.stats import CONDITION_COLUMNS
from pipeline.store.schema import CLEAN

ZERO_SHOT = "zero-shot"


def preferred_setting(settings: pd.Series) -> str | None:
    """Zero-shot if any row has it, else the most frequent setting (ties: alphabetical)."""
    return preferred_setting_of(settings.value_counts())


def preferred_setting_of(counts: pd.Series) -> str | None:
    """``preferred_setting`` from the rows per setting (a count the query engine made)."""
    if counts.empty:
        return None
    if ZERO_SHOT in counts.index:
        return ZERO_SHOT
    return sorted(counts.index, key=lambda s: (-counts[s], s))[0]


def input_conditions(perturbations: list[str]) -> list[str]:
    """The ``perturbation`` values a view offers, clean inputs first (its default)."""
    return sorted(perturbations, key=lambda p: (p != CLEAN, p))


def preferred_scaling_setting(sizes_by_setting: pd.Series, min_sizes: int) -> str | None:
    """Zero-shot when it has ``min_sizes`` model sizes (a fit), else the setting with the most sizes."""
    if sizes_by_setting.empty:
        return None
    if sizes_by_setting.get(ZERO_SHOT, 0) >= min_sizes:
        return ZERO_SHOT
    return sorted(sizes_by_setting.index, key=lambda s: (-sizes_by_setting[s], s != ZERO_SHOT, s))[0]


def preferred_family(points: pd.DataFrame) -> str | None:
    """The model family with the most zero-shot sizes (any setting's sizes break ties), from scaling points."""
    if points.empty:
        return None
    zero_shot = points[points["setting"] == ZERO_SHOT].groupby("family")["model_params"].nunique()
    overall = points.groupby("family")["model_params"].nunique()
    ranked = pd.DataFrame({"zero_shot": zero_shot, "overall": overall}).fillna(0).reset_index(names="family")
    return ranked.sort_values(["zero_shot", "overall", "family"], ascending=[False, False, True])["family"].iloc[0]


def richest_series(table: pd.DataFrame, measure: str) -> str | None:
    """The series with a value for the most languages (ties: the higher mean, then the name)."""
    known = table.dropna(subset=[measure])
    if known.empty:
        return None
    ranked = known.groupby("series").agg(n=("language", "nunique"), mean=(measure, "mean")).reset_index()
    return ranked.sort_values(["n", "mean", "series"], ascending=[False, False, True])["series"].iloc[0]


def has_replicates(results: pd.DataFrame) -> bool:
    """Whether some condition has more than one seed, i.e. whether a gain can get an interval and a test."""
    if results.empty or "seed" not in results or results["seed"].isna().all():
        return False
    seeded = results.dropna(subset=["seed"])
    return bool((seeded.groupby(CONDITION_COLUMNS, dropna=False)["seed"].nunique() > 1).any())

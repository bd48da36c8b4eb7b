"""Seed statistics: aggregates, gains with confidence intervals, significance, XTREME averages.

Zero-shot cross-lingual scores move by points between fine-tuning seeds (Keung et al. 2020), so a
gain is only worth showing with its uncertainty and a test. Every function here is pure (DataFrame
in, DataFrame out) and vectorised over the whole grid: rows are grouped once and sorted by seed,
so each group's samples are one contiguous block (``grouping``); groups with the same sample sizes
are stacked into matrices, and bootstrap or permutation replicates are matrix products with
resampling matrices drawn once per sample size (``resampling``). Those draws depend only on
``rng_seed`` and the sizes, so a cell's interval does not change when other cells are added to the
frame.

One module per job: ``aggregate`` (means over seeds), ``gain_intervals`` (gains with CIs),
``significance_tests`` (p-values), ``multiple_testing`` (Holm/BH), ``xtreme`` (benchmark averages).
"""

from pipeline.analysis.stats.aggregate import aggregate_seeds
from pipeline.analysis.stats.gain_intervals import gains_with_ci
from pipeline.analysis.stats.grouping import CONDITION_COLUMNS, MATCH_COLUMNS, RUN_CONDITION_COLUMNS
from pipeline.analysis.stats.multiple_testing import CORRECTIONS, adjust_pvalues
from pipeline.analysis.stats.significance_tests import METHODS, significance
from pipeline.analysis.stats.xtreme import xtreme_average

__all__ = [
    "CONDITION_COLUMNS",
    "CORRECTIONS",
    "MATCH_COLUMNS",
    "METHODS",
    "RUN_CONDITION_COLUMNS",
    "adjust_pvalues",
    "aggregate_seeds",
    "gains_with_ci",
    "significance",
    "xtreme_average",
]

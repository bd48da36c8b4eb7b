"""Mean, sample std and n over seeds for every experimental condition."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.analysis.stats.checks import require_columns
from pipeline.analysis.stats.grouping import CONDITION_COLUMNS, block_stats, group_rows, reduce_at

_FLAGS = ("uncertain", "test_artifact")


def aggregate_seeds(results: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std and n over seeds for every condition (``CONDITION_COLUMNS``).

    ``std`` is NaN for n=1 (published numbers) and exactly 0 when all values are equal. Flags
    (``uncertain``, ``test_artifact``) are carried over as "any row of the condition has it".
    """
    require_columns(results, [*CONDITION_COLUMNS, "value", "seed"], "aggregate_seeds")
    groups = group_rows(results, CONDITION_COLUMNS)
    mean, std = block_stats(groups)
    out = groups.keys.assign(mean=mean, std=std, n=groups.sizes)
    for flag in (f for f in _FLAGS if f in results.columns):
        flags = results[flag].eq(True).to_numpy()[groups.order].astype(np.int8)
        out[flag] = reduce_at(np.maximum, flags, groups.starts).astype(bool)
    return out

"""Input checks shared by the statistics: refuse bad frames and parameters with a clear message."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse frames without the columns or with missing values, rather than dropping rows quietly."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the column(s) {', '.join(missing)}")
    if "value" in columns and frame["value"].isna().any():
        raise ValueError(f"{what}: {int(frame['value'].isna().sum())} row(s) have no value")


def check_fraction(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{name} must be between 0 and 1, not {value}")


def check_resampling(n_boot: int, rng_seed: int) -> None:
    if int(n_boot) != n_boot or n_boot < 100:
        raise ValueError(f"n_boot must be a whole number of at least 100, not {n_boot}")
    if int(rng_seed) != rng_seed or rng_seed < 0:
        raise ValueError(f"rng_seed must be a non-negative whole number, not {rng_seed}")

"""How numbers are written, in one place: on screen, in LaTeX and in the report (CSV keeps full precision).

Rules: scores and gains (0-100 points) with one decimal (gains signed); p-values with two significant
digits (0.0002, not 0.00); counts as integers; other statistics (slopes, R², correlations) with the
digits the caller asks for.
"""

from __future__ import annotations

import math
import re

import pandas as pd

#: Digits after the decimal point for scores and gains (points on a 0-100 scale).
SCORE_DIGITS = 1
#: Significant digits of a p-value.
P_DIGITS = 2
_P_COLUMN = re.compile(r"^(p|p_value|p_adjusted|adjusted p|p-value)(\b|_|\s|$)|\bp\s*\(", re.IGNORECASE)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score(value: float, digits: int = SCORE_DIGITS) -> str:
    """A score (or any unsigned statistic): ``80.1``; empty when missing."""
    return "" if _missing(value) else f"{value:.{digits}f}"


def gain(value: float, digits: int = SCORE_DIGITS) -> str:
    """A signed difference: ``+0.9`` / ``-1.2``; empty when missing."""
    return "" if _missing(value) else f"{value:+.{digits}f}"


def p_value(value: float) -> str:
    """A p-value with two significant digits: ``0.031``, ``0.0002``, ``1.2e-07``; empty when missing."""
    return "" if _missing(value) else f"{value:.{P_DIGITS}g}"


def is_p_column(name: object) -> bool:
    """Whether a column holds p-values, by its name (``p``, ``p_value``, ``p_adjusted``, ``p (slope = 0)``…)."""
    return bool(_P_COLUMN.search(str(name)))


def is_count_column(column: pd.Series) -> bool:
    """Integer columns and float columns holding only whole numbers named like counts (``n``, ``n_…``, ``sizes``)."""
    if pd.api.types.is_integer_dtype(column):
        return True
    name = str(column.name)
    return (name == "n" or name.startswith("n_") or name in ("sizes", "seeds")) and pd.api.types.is_numeric_dtype(column)


def cell_text(value: object, column: pd.Series, digits: int = SCORE_DIGITS, signed: bool = False) -> str:
    """One table cell as text, by the rules above for its column (``signed``: a table of gains)."""
    if _missing(value):
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if is_p_column(column.name):
        return p_value(value)
    if is_count_column(column):
        return str(int(value))
    return gain(value, digits) if signed else score(value, digits)


def formatted(table: pd.DataFrame, digits: int = SCORE_DIGITS, signed: bool = False) -> pd.DataFrame:
    """Every numeric cell of ``table`` as text by the rules above (index and labels untouched)."""
    return pd.DataFrame({c: [cell_text(v, table[c], digits, signed) for v in table[c]] for c in table.columns},
                        index=table.index)


def printf_format(column: pd.Series, digits: int = SCORE_DIGITS) -> str | None:
    """The printf format an interactive table (``st.column_config.NumberColumn``) gives a numeric column."""
    if isinstance(column.dtype, pd.BooleanDtype) or pd.api.types.is_bool_dtype(column):
        return None
    if not pd.api.types.is_numeric_dtype(column):
        return None
    if is_p_column(column.name):
        return f"%.{P_DIGITS}g"
    if is_count_column(column):
        return "%d"
    return f"%.{digits}f"

"""DataFrames as booktabs LaTeX tables for papers, with one documented bold rule and ± intervals kept.

Bold rule (per column, ties all bold): the best value among the rows that are not a baseline
(a baseline's gain is 0 by definition, never a finding). When the table has intervals, only a
significant value can be bold (``significant``), so the best of the significant values is bold and
a column without one has none. p-value and count columns are never bold. Numbers follow
``pipeline.presentation.numbers``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from pipeline.presentation.numbers import cell_text, is_count_column, is_p_column

_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def escape(text: object) -> str:
    """Text safe inside a LaTeX tabular cell."""
    return "".join(_ESCAPES.get(ch, ch) for ch in str(text))


def _cell(value: object, column: pd.Series, half_width: object, digits: int, bold: bool, signed: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "--"
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return escape(value)
    text = cell_text(value, column, digits, signed)
    if half_width is not None and not (isinstance(half_width, float) and math.isnan(half_width)):
        text += rf" $\pm$ {cell_text(half_width, column, digits)}"
    return rf"\textbf{{{text}}}" if bold else text


def _best(table: pd.DataFrame, column: object, baseline_rows: Sequence[object], significant: pd.DataFrame | None,
          higher_is_better: bool) -> float | None:
    """The value that is bold in ``column`` under the module's rule (None: nothing bold)."""
    values = pd.to_numeric(table[column], errors="coerce")
    if is_p_column(column) or is_count_column(values.rename(column)):
        return None
    candidates = values[~values.index.isin(list(baseline_rows))]
    if significant is not None:
        flags = significant.reindex(index=candidates.index)[column] if column in significant else None
        candidates = candidates[flags.fillna(False).astype(bool)] if flags is not None else candidates.iloc[0:0]
    candidates = candidates.dropna()
    if candidates.empty:
        return None
    return candidates.max() if higher_is_better else candidates.min()


def to_latex(
    table: pd.DataFrame,
    caption: str = "",
    digits: int = 1,
    ci: pd.DataFrame | None = None,
    higher_is_better: bool = True,
    bold_best: bool = True,
    baseline_rows: Sequence[object] = (),
    significant: pd.DataFrame | None = None,
    signed: bool = False,
) -> str:
    """A booktabs ``table`` environment for ``table`` (index = row labels).

    ``ci``, if given, has the same shape and holds the half-width of each cell's interval, printed as
    ``value ± half``. Bold follows the module's rule: ``baseline_rows`` (index labels) are never
    bold, and with ``significant`` (same shape, bool) only significant cells can be. ``signed``
    writes gains as ``+0.9``.
    """
    columns = list(table.columns)
    lines = [r"\begin{table}[t]", r"\centering", r"\begin{tabular}{l" + "r" * len(columns) + "}", r"\toprule"]
    lines.append(" & ".join([escape(table.index.name or "")] + [escape(c) for c in columns]) + r" \\")
    lines.append(r"\midrule")
    best = {c: _best(table, c, baseline_rows, significant, higher_is_better) for c in columns} if bold_best else {}
    for label, row in table.iterrows():
        cells = [escape(label)]
        for column in columns:
            value = row[column]
            half = ci.at[label, column] if ci is not None and column in ci.columns and label in ci.index else None
            is_best = (best.get(column) is not None and label not in baseline_rows
                       and isinstance(value, (int, float)) and value == best[column])
            cells.append(_cell(value, table[column], half, digits, is_best, signed))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(rf"\caption{{{escape(caption)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"

"""DataFrames as booktabs LaTeX tables for papers: best value per column in bold, ± intervals kept."""

from __future__ import annotations

import math

import pandas as pd

_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def escape(text: object) -> str:
    """Text safe inside a LaTeX tabular cell."""
    return "".join(_ESCAPES.get(ch, ch) for ch in str(text))


def _cell(value: object, half_width: object, digits: int, bold: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "--"
    if not isinstance(value, (int, float)):
        return escape(value)
    text = f"{value:.{digits}f}"
    if half_width is not None and not (isinstance(half_width, float) and math.isnan(half_width)):
        text += rf" $\pm$ {half_width:.{digits}f}"
    return rf"\textbf{{{text}}}" if bold else text


def to_latex(
    table: pd.DataFrame,
    caption: str = "",
    digits: int = 1,
    ci: pd.DataFrame | None = None,
    higher_is_better: bool = True,
    bold_best: bool = True,
) -> str:
    """A booktabs ``table`` environment for ``table`` (index = row labels).

    ``ci``, if given, has the same shape and holds the half-width of each cell's interval, printed as
    ``value ± half``. The best numeric value of each column is bold (ties all bold).
    """
    columns = list(table.columns)
    lines = [r"\begin{table}[t]", r"\centering", r"\begin{tabular}{l" + "r" * len(columns) + "}", r"\toprule"]
    lines.append(" & ".join([escape(table.index.name or "")] + [escape(c) for c in columns]) + r" \\")
    lines.append(r"\midrule")
    best = {}
    for column in columns:
        numeric = pd.to_numeric(table[column], errors="coerce")
        if bold_best and numeric.notna().any():
            best[column] = numeric.max() if higher_is_better else numeric.min()
    for label, row in table.iterrows():
        cells = [escape(label)]
        for column in columns:
            value = row[column]
            half = ci.at[label, column] if ci is not None and column in ci.columns and label in ci.index else None
            is_best = column in best and isinstance(value, (int, float)) and value == best[column]
            cells.append(_cell(value, half, digits, is_best))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(rf"\caption{{{escape(caption)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"

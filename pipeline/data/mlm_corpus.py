"""The multilingual MLM corpus for co-training: lines sampled over languages with exponent alpha.

Language l gets a share proportional to n_l^alpha of the lines (Conneau & Lample 2019; Phang et al.
use alpha = 0.3 over the 40 XTREME languages), where n_l is the size of its split when known; when a
size is unknown every language gets the same share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from datasets import load_dataset_builder

from pipeline.data.load import local_path, read_source
from pipeline.data.spec import Source


def language_quotas(sizes: Mapping[str, int | None], total: int, alpha: float) -> dict[str, int]:
    """Lines per language summing to ``total``: proportional to size^alpha (equal if any size is unknown)."""
    if any(n is None for n in sizes.values()):
        weights = {lang: 1.0 for lang in sizes}
    else:
        weights = {lang: float(n) ** alpha for lang, n in sizes.items()}
    norm = sum(weights.values())
    quotas = {lang: int(total * w / norm) for lang, w in weights.items()}
    for lang in list(quotas)[: total - sum(quotas.values())]:  # hand out the rounding remainder
        quotas[lang] += 1
    return quotas


def _size(source: Source, data_root: str | Path | None) -> int | None:
    if data_root is not None:
        path = local_path(source, data_root)
        return sum(1 for _ in path.open(encoding="utf-8")) if path.is_file() else None
    try:
        return load_dataset_builder(source.dataset, source.config).info.splits[source.split].num_examples
    except Exception:  # sizes only steer sampling; no size means equal shares
        return None


def _lines(source: Source, data_root: str | Path | None, n: int) -> list[str]:
    """The first ``n`` non-empty lines of the texts of ``source`` (streamed: nothing more is read)."""
    column, lines = source.columns["text"], []
    for row in read_source(source, data_root, streaming=True):
        lines += [line.strip() for line in row[column].split("\n") if line.strip()]
        if len(lines) >= n:
            break
    return lines[:n]


def sample_lines(source: Source, languages: Sequence[str], data_root: str | Path | None, total: int,
                 alpha: float) -> list[str]:
    """``total`` lines over ``languages`` of the ``{lang}``-templated ``source``."""
    per_language = {lang: source.for_language(lang, {}) for lang in languages}
    quotas = language_quotas({lang: _size(s, data_root) for lang, s in per_language.items()}, total, alpha)
    return [line for lang, s in per_language.items() for line in _lines(s, data_root, quotas[lang])]

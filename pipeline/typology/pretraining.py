"""How much pretraining text each model family saw per language (``data/language_metadata/``), with provenance.

The shipped table holds published numbers only (one row per model family, corpus, language and
quantity, each with its source; see that folder's README). This module answers "what is the size of
language L in the corpus model M was pretrained on", in XTREME's codes (``languages.xtreme_code``):

- a model id maps to its family and corpus: ``xlm-roberta-*`` -> CC-100, ``mt5-*`` -> mC4,
  ``bert-base-multilingual-*`` -> Wikipedia; other models have no known corpus (None);
- a language without a published number keeps an empty size (NaN) and says why; nothing is
  imputed, so an analysis drops it by name instead of inventing a value;
- where one language has several preferred values (CC-100 lists Burmese twice, Burmese and
  "Burmese zawgyi font", without saying which row is which) the larger is used and the row says so;
- ``variant="lauscher2020"`` takes the numbers Lauscher et al. 2020 correlated with instead (their
  analysis code; for CC-100 that includes Swedish as printed in the XLM-R paper, 77.8 M tokens,
  which the transcriber reports the authors corrected to 12,950 M). ``disagreements`` lists every
  such case.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.typology.languages import benchmark_languages, xtreme_code

METADATA_DIR = Path(__file__).resolve().parents[2] / "data" / "language_metadata"
SIZES_CSV = METADATA_DIR / "pretraining_sizes.csv"
COLUMNS: tuple[str, ...] = (
    "model_family", "corpus", "language", "language_norm", "language_name", "quantity", "value", "source",
    "source_detail", "note", "xtreme_lang", "preferred", "evidence",
)
VARIANTS: tuple[str, ...] = ("published", "lauscher2020")
#: Columns of ``pretraining_sizes``.
SIZE_COLUMNS: tuple[str, ...] = (
    "language", "corpus_size", "log_size", "corpus", "quantity", "source", "evidence", "note",
)
_LAUSCHER = "Lauscher et al. 2020"


@dataclass(frozen=True)
class Corpus:
    """The pretraining corpus of a model family and the quantity its size is measured in by default."""

    family: str
    corpus: str
    name: str
    quantity: str
    unit: str
    model_prefixes: tuple[str, ...]

    @property
    def axis_label(self) -> str:
        return f"log10 {self.name} size ({self.unit})"


CORPORA: dict[str, Corpus] = {
    c.family: c
    for c in (
        Corpus("xlmr", "cc100", "CC-100", "tokens_millions", "million tokens", ("xlm-roberta-",)),
        Corpus("mt5", "mc4", "mC4", "tokens_billions", "billion SentencePiece tokens", ("mt5-",)),
        Corpus("mbert", "wikipedia", "Wikipedia", "articles", "articles, Oct 2018", ("bert-base-multilingual-",)),
    )
}


def corpus_of(model: str) -> Corpus | None:
    """The pretraining corpus of a canonical model id (``xlm-roberta-large`` -> CC-100), or None if unknown."""
    return next((c for c in CORPORA.values() if str(model).startswith(c.model_prefixes)), None)


def resolve_corpus(model_or_family: str) -> Corpus:
    """A family name (``xlmr``) or a model id; a ValueError names the known ones otherwise."""
    corpus = CORPORA.get(model_or_family) or corpus_of(model_or_family)
    if corpus is None:
        known = ", ".join(f"{c.family} ({'*, '.join(c.model_prefixes)}*: {c.name})" for c in CORPORA.values())
        raise ValueError(f"no pretraining corpus is known for {model_or_family!r}; known: {known}")
    return corpus


def read_sizes(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Every row of the shipped table, plus ``code`` (XTREME code, or None for languages no benchmark tests)."""
    path = Path(path or SIZES_CSV)
    stat = path.stat()
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _read(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} is not a pretraining-size table (missing column(s) {', '.join(missing)})")
    frame["value"] = pd.to_numeric(frame["value"], errors="raise")
    frame["code"] = frame["language_norm"].map(xtreme_code)
    mapped = frame[frame["xtreme_lang"] != ""]
    wrong = mapped[mapped["code"] != mapped["xtreme_lang"]]
    if not wrong.empty:
        raise ValueError(f"{path}: language_norm and xtreme_lang disagree with pipeline/typology/languages.py for "
                         f"{', '.join(sorted(set(wrong['language_norm'])))}")
    return frame


def _chosen(rows: pd.DataFrame, corpus: Corpus, variant: str) -> pd.DataFrame:
    if variant == "lauscher2020":
        rows = rows[rows["source"].str.startswith(_LAUSCHER)]
    else:
        rows = rows[rows["preferred"] == "yes"]
    rows = rows[rows["code"].notna()].sort_values("value", ascending=False)
    several = rows.groupby("code")["value"].transform("size") > 1
    listed = rows.groupby("code")["value"].transform(lambda v: ", ".join(f"{x:g}" for x in v))
    rows = rows.assign(note=np.where(
        several, "several values published (" + listed + "); the larger is used. " + rows["note"], rows["note"]))
    return rows.drop_duplicates("code")


def pretraining_sizes(
    model_or_family: str,
    *,
    quantity: str | None = None,
    variant: str = "published",
    languages: tuple[str, ...] | list[str] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """One row per language (default: every benchmark language) with its corpus size; NaN where none is published.

    ``log_size`` is log10 of ``corpus_size``; ``note`` says why a size is missing or how it was chosen.
    """
    corpus = resolve_corpus(model_or_family)
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    table = read_sizes(path)
    rows = table[(table["model_family"] == corpus.family) & (table["corpus"] == corpus.corpus)]
    quantity = quantity or corpus.quantity
    if quantity not in set(rows["quantity"]):
        known = ", ".join(sorted(set(rows["quantity"])))
        raise ValueError(f"{corpus.name} has no quantity {quantity!r}; known: {known}")
    chosen = _chosen(rows[rows["quantity"] == quantity], corpus, variant).set_index("code")
    codes = list(dict.fromkeys(benchmark_languages() if languages is None else languages))
    out = chosen.reindex(codes)
    absent = f"no published {corpus.name} {quantity}" + (" in Lauscher et al. 2020" if variant != "published" else "")
    return pd.DataFrame({
        "language": codes,
        "corpus_size": out["value"].to_numpy(dtype=float),
        "log_size": np.log10(out["value"].to_numpy(dtype=float)),
        "corpus": corpus.name,
        "quantity": quantity,
        "source": out["source"].fillna("").to_numpy(),
        "evidence": out["evidence"].fillna("").to_numpy(),
        "note": out["note"].fillna(absent).to_numpy(),
    })[list(SIZE_COLUMNS)]


def disagreements(model_or_family: str, path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Languages whose alternative published value differs from the preferred one (Swedish, Ukrainian in CC-100).

    Columns: ``language`` (as the source writes it), ``quantity, preferred_value, other_value, other_source, note``.
    """
    corpus = resolve_corpus(model_or_family)
    table = read_sizes(path)
    rows = table[(table["model_family"] == corpus.family) & (table["corpus"] == corpus.corpus)]
    keys = ["language_norm", "quantity"]
    both = rows[rows["preferred"] == "no"].merge(rows[rows["preferred"] == "yes"], on=keys, suffixes=("", "_preferred"))
    both = both[both["value"] != both["value_preferred"]]
    return pd.DataFrame({
        "language": both["language_norm"], "quantity": both["quantity"], "preferred_value": both["value_preferred"],
        "other_value": both["value"], "other_source": both["source"], "note": both["note"],
    }).sort_values(["language", "quantity", "other_source"]).reset_index(drop=True)

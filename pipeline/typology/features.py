"""lang2vec's feature vectors of the benchmark languages, shipped in ``data/typology/lang2vec_features.csv``.

Lauscher et al. 2020 ("From Zero to Hero", EMNLP) measure a language's similarity to English as the
cosine of two lang2vec vectors, computed per task over that task's languages: ``get_features(...,
minimal=True)`` drops features that are 0 for all of them, 1 for all of them or unknown for all of
them, then any feature unknown for one of them is dropped, and the cosine is taken over what is left
(their analysis code, anlausch/CLZeroShotTransferLimitations, ``analysis_utils.py``). Because
``minimal`` depends on the language set, the vectors themselves are cached, not the similarities:
a lang2vec ``fam`` lookup costs ~5 s, and the dashboard must not pay it.

The file is long and sparse: ``language, feature_set, feature, value`` with one row per non-zero or
unknown entry (``value`` empty = lang2vec's ``--``); absent entries are 0. Feature ``-1`` holds the
vector's length, so a language whose vector is all zero (Basque, an isolate, in ``fam``) is still listed.
Languages are XTREME codes, queried as ``Language.lang2vec_code`` (Lauscher et al. passed ISO 639-1
codes, which lang2vec maps to its own, e.g. the macrolanguage ``ara`` where the Atlas asks for
Standard Arabic ``arb``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.typology import lang2vec_source
from pipeline.typology.cache import write_atomic
from pipeline.typology.languages import benchmark_languages, get_language

#: The lang2vec sets Lauscher et al. correlate with, and the names their paper gives them.
FEATURE_SETS: dict[str, str] = {
    "syntax_knn": "syntax (SYN)", "phonology_knn": "phonology (PHON)", "inventory_knn": "inventory (INV)",
    "fam": "family (FAM)", "geo": "geography (GEO)",
}
FEATURES_CACHE = Path(__file__).resolve().parents[2] / "data" / "typology" / "lang2vec_features.csv"
COLUMNS: tuple[str, ...] = ("language", "feature_set", "feature", "value")
_LENGTH = -1


def compute_features(langs: Iterable[str] | None = None) -> pd.DataFrame:
    """The sparse long table of every ``FEATURE_SETS`` vector of ``langs`` (default: benchmark languages), live."""
    codes = list(dict.fromkeys(benchmark_languages() if langs is None else langs))
    queried = tuple(get_language(c).lang2vec_code for c in codes)
    frames = []
    for feature_set in FEATURE_SETS:
        values, known = lang2vec_source.vectors(queried, feature_set)
        rows, columns = np.nonzero((values != 0) | ~known)
        frames.append(pd.DataFrame({
            "language": np.asarray(codes)[rows], "feature_set": feature_set, "feature": columns,
            "value": np.where(known[rows, columns], values[rows, columns], np.nan),
        }))
        frames.append(pd.DataFrame({"language": codes, "feature_set": feature_set, "feature": _LENGTH,
                                    "value": float(values.shape[1])}))
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def write_features(table: pd.DataFrame, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the table atomically, sorted, values to 6 significant digits (geo distances are not exact anyway)."""
    ordered = table[list(COLUMNS)].sort_values(["feature_set", "language", "feature"])
    return write_atomic(ordered, Path(path or FEATURES_CACHE), float_format="%.6g")


def read_features(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The cached table (empty if the file does not exist)."""
    path = Path(path or FEATURES_CACHE)
    if not path.exists():
        return pd.DataFrame(columns=list(COLUMNS))
    stat = path.stat()
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _read(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"language": str, "feature_set": str, "feature": int, "value": float},
                        keep_default_na=False, na_values={"value": [""]})
    if list(frame.columns) != list(COLUMNS):
        raise ValueError(f"{path} is not a lang2vec feature table; rebuild it with `python -m pipeline typology "
                         "--force`")
    return frame


def feature_vectors(
    langs: Iterable[str], feature_set: str, path: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(values, known), each (len(langs), d), of ``feature_set`` for XTREME codes ``langs``; live where uncached."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; known: {', '.join(FEATURE_SETS)}")
    codes = list(langs)
    table = read_features(path)
    table = table[table["feature_set"] == feature_set]
    missing = sorted(set(codes) - set(table["language"]))
    if missing:
        live = compute_features(missing)
        table = pd.concat([table, live[live["feature_set"] == feature_set]], ignore_index=True)
    lengths = table.loc[table["feature"] == _LENGTH, "value"]
    width = int(lengths.max()) if len(lengths) else 0
    rows = table[table["language"].isin(codes) & (table["feature"] != _LENGTH)]
    values, known = np.zeros((len(codes), width)), np.ones((len(codes), width), dtype=bool)
    index = {c: i for i, c in enumerate(codes)}
    r, c = rows["language"].map(index).to_numpy(), rows["feature"].to_numpy()
    unknown = rows["value"].isna().to_numpy()
    values[r, c] = rows["value"].fillna(0).to_numpy()
    known[r[unknown], c[unknown]] = False
    return values, known


def cosine_similarity_to(
    langs: Iterable[str], source: str, feature_set: str, path: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """``language, similarity``: Lauscher et al.'s cosine of each language's vector with ``source``'s.

    Over the language set given (``source`` included): features lang2vec's ``minimal`` would drop and
    features unknown for any language are left out. An all-zero vector (Basque in ``fam``) has
    similarity 0, as in scikit-learn's ``cosine_similarity`` that they used; NaN if no feature is left.
    """
    codes = list(dict.fromkeys([source, *langs]))
    values, known = feature_vectors(codes, feature_set, path)
    all_unknown = ~known.any(axis=0)
    constant = np.all(values == 0, axis=0) | np.all(values == 1, axis=0)
    keep = ~(all_unknown | constant) & known.all(axis=0)
    kept = values[:, keep]
    norms = np.linalg.norm(kept, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        similarity = kept @ kept[0] / (norms * norms[0])
    similarity = np.where(norms * norms[0] > 0, similarity, 0.0) if keep.any() else np.full(len(codes), np.nan)
    return pd.DataFrame({"language": codes, "similarity": similarity})

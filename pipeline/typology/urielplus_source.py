"""Distances from URIEL+ (``urielplus`` 1.3.2; Khan et al., COLING 2025), computed offline.

URIEL+ as its authors intend it: the shipped URIEL data with every database URIEL+ adds
(``integrate_databases``: Grambank, APiCS, SAPHON, BDPROTO, eWAVE, Glottolog), values of several
sources merged by union (its default), a pair compared on the features both languages have (its
``new_distance`` rule; no imputation, which would cross-validate for a long time and write into
the install folder). Languages are named by Glottocode after integration; ISO 639-3 codes are
mapped with the package's own ``uriel_glottocode_map.csv``. We take the merged vectors from
``get_vector`` and compute all pairs at once with the same masked cosine as lang2vec (URIEL+'s
``cosine`` metric; its default ``angular`` metric is a monotone function of it), because its
``new_distance`` needs ~1 s per pair for ``genetic``. Featural covers all typological features,
URIEL+'s morphological ones included.

Package quirks handled here: importing it calls ``logging.basicConfig(level=INFO)`` and it logs
every call at INFO on the root logger (undone and filtered out); its first use copies its database
into its own install folder; integration takes ~70 s, once per process.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from pipeline.typology.cosine import masked_cosine_distances

_MISSING = -1.0


class _DropPackageRecords(logging.Filter):
    """Drops records logged from inside one package folder (URIEL+ logs through the root logger)."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.pathname.startswith(self.folder)


@cache
def _package_folder() -> str:
    spec = importlib.util.find_spec("urielplus")
    if spec is None or spec.origin is None:
        raise ValueError("the urielplus package is not installed (pip install urielplus==1.3.2)")
    return os.path.dirname(spec.origin)


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """Run URIEL+ code without its log lines and without the root-logger setup it does on the way."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    drop = _DropPackageRecords(_package_folder() + os.sep)
    root.addFilter(drop)
    try:
        yield
    finally:
        root.removeFilter(drop)
        root.handlers[:] = handlers
        root.setLevel(level)


@cache
def _urielplus() -> Any:
    """The integrated URIEL+ knowledge base (built once per process, ~70 s)."""
    with _quiet_root_logger():
        from urielplus.urielplus import URIELPlus

        base = URIELPlus()
        base.integrate_databases()
    return base


@cache
def _glottocodes() -> dict[str, str]:
    path = os.path.join(_package_folder(), "database", "urielplus_csvs", "uriel_glottocode_map.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(table["iso_code"].str.strip(), table["glottocode"].str.strip()))


def glottocode(iso639_3: str) -> str:
    """URIEL+'s name for an ISO 639-3 code; ValueError if it has none."""
    code = _glottocodes().get(iso639_3, "")
    if not code:
        raise ValueError(f"URIEL+ has no Glottocode for ISO 639-3 {iso639_3!r}")
    return code


def distance_matrix(iso_codes: Sequence[str], distance_type: str) -> np.ndarray:
    """(n, n) distances of ``distance_type`` among ISO 639-3 codes ``iso_codes``."""
    codes = [glottocode(c) for c in iso_codes]
    try:
        with _quiet_root_logger():
            vectors = _urielplus().get_vector(distance_type, codes)
    except ValueError as exc:
        raise ValueError(f"URIEL+ cannot give {distance_type} vectors for {', '.join(iso_codes)}: {exc}") from None
    values = np.array([vectors[c] for c in codes], dtype=float)
    return masked_cosine_distances(values, values != _MISSING)

"""Human names of result sources (``source_id``), for labels: ``data/published/sources.csv``."""

from __future__ import annotations

import csv
from functools import cache

from pipeline.published.importer import PUBLISHED_DIR

SOURCES_CSV = PUBLISHED_DIR / "sources.csv"


@cache
def _labels() -> dict[str, str]:
    with open(SOURCES_CSV, encoding="utf-8") as fh:
        return {row["source_id"]: row["label"] for row in csv.DictReader(fh)}


def source_label(source_id: str) -> str:
    """The source's short human name; an unknown id (a new upload) is shown as it is."""
    return _labels().get(source_id, source_id)

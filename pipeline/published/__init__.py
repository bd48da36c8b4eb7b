"""Published results shipped with the Atlas (data/published/) and their import into the store."""

from pipeline.published.importer import PublishedDataError, published_rows
from pipeline.published.sources import source_label

__all__ = ["PublishedDataError", "published_rows", "source_label"]

"""Published results shipped with the Atlas (data/published/) and their import into the store."""

from pipeline.published.importer import PublishedDataError, published_rows

__all__ = ["PublishedDataError", "published_rows"]

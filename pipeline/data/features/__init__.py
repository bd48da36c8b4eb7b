"""Model inputs per head, from canonical datasets (see ``pipeline.data.load``).

Every ``encode`` returns a Dataset of python lists (no padding: batches are padded dynamically);
rows whose label is missing or outside the label set are dropped.
"""

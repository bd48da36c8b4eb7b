"""Zero-shot evaluation: model outputs per head, decoded to what ``pipeline.metrics`` scores."""

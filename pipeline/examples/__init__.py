"""Per-example predictions, gold answers and bucketing attributes of runs, kept as Parquet beside the store."""

from pipeline.examples.records import INPUT_COLUMNS, PREDICTION_COLUMNS, example_records, has_examples
from pipeline.examples.store import EXAMPLES_ENV, ExampleSink, ExamplesError, ExampleStore, examples_of, examples_root

__all__ = [
    "EXAMPLES_ENV",
    "INPUT_COLUMNS",
    "PREDICTION_COLUMNS",
    "ExampleSink",
    "ExampleStore",
    "ExamplesError",
    "example_records",
    "examples_of",
    "examples_root",
    "has_examples",
]

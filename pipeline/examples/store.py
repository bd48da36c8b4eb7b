"""Per-example predictions beside the results store: Parquet files, never rows of the results tables.

Layout under the root (``<store file>.examples/`` next to ``atlas.db``, or ``$ATLAS_EXAMPLES``)::

    runs/<run id>/<task>.parquet   what one run predicted on one task (``PREDICTION_COLUMNS``), one row per
                                   example and evaluation condition; its metadata names its inputs file
    inputs/<sha256>.parquet        the examples (text, gold answer, bucketing attributes), named by the hash
                                   of the file's bytes: every run on the same data shares one copy
    staging/<run id>/<task>/       a run's languages as they are evaluated, so a killed run resumes

Rows of a predictions file and of its inputs file are in the same order, so reading both with the same
filter lines them up without a join. Files are written under a temporary name and renamed: a reader never
sees half of one, and a killed writer leaves at most a temporary file that the next write replaces.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.examples.records import (
    DTYPES,
    INPUT_COLUMNS,
    PREDICTION_COLUMNS,
    empty_records,
    example_records,
    has_examples,
    typed,
)
from pipeline.store.database import is_url
from pipeline.store.places import database_folder, work_root

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedTokenizerBase

    from pipeline.store import ResultsStore

#: Environment variable naming the examples folder (default: beside the store file; see ``examples_root``).
EXAMPLES_ENV = "ATLAS_EXAMPLES"
_SUFFIX = ".examples"
_METADATA_KEY = b"transfer_atlas_examples"
_FORMAT = 1
_COMPRESSION = "zstd"


class ExamplesError(ValueError):
    """Examples that are not stored, or a file that is not what it should be; the message says which."""


def examples_root(store_location: str | os.PathLike[str]) -> Path:
    """Where the examples of a store live: ``$ATLAS_EXAMPLES``, else ``<store file>.examples``, else (a
    PostgreSQL store) ``<work folder>/examples/<database>-<hash>``."""
    if os.environ.get(EXAMPLES_ENV):
        return Path(os.environ[EXAMPLES_ENV])
    if is_url(store_location):
        return work_root() / "examples" / database_folder(str(store_location))
    path = Path(store_location)
    return path.with_name(path.name + _SUFFIX)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parquet_bytes(frame: pd.DataFrame, metadata: dict | None = None) -> bytes:
    """``frame`` as Parquet, one row group per language (rows sorted by language): a reader of one language
    skips the others' row groups by their statistics instead of decoding the whole file."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _METADATA_KEY: json.dumps(metadata).encode()})
    buffer = io.BytesIO()
    languages = frame["language"].to_numpy()
    starts = [0, *(i for i in range(1, len(languages)) if languages[i] != languages[i - 1])] if len(frame) else [0]
    with pq.ParquetWriter(buffer, table.schema, compression=_COMPRESSION) as writer:
        for start, end in zip(starts, [*starts[1:], len(frame)]):
            writer.write_table(table.slice(start, end - start), row_group_size=max(end - start, 1))
    return buffer.getvalue()


def _unproven(path: Path, filters: list[tuple[str, str, list[str]]]) -> list[tuple[str, str, list[str]]] | None:
    """The ``filters`` (column, "in", values) that the file's row-group statistics do not prove for every row:
    pyarrow tests a filter row by row even where every row group holds one allowed value (clean inputs only),
    which costs more than reading the column."""
    metadata = pq.ParquetFile(path).metadata
    names = metadata.schema.names

    def proven(column: str, values: list[str]) -> bool:
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(names.index(column)).statistics
            if stats is None or not stats.has_min_max or stats.null_count or stats.min != stats.max \
                    or stats.min not in values:
                return False
        return True

    return [f for f in filters if not proven(f[0], f[2])] or None


class ExampleStore:
    """Read and write the per-example predictions of runs, one file per (run, target task)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / quote(run_id, safe="")

    def path(self, run_id: str, task_id: str) -> Path:
        """The predictions file of ``run_id`` on ``task_id``."""
        return self._run_dir(run_id) / f"{task_id}.parquet"

    def staging(self, run_id: str, task_id: str) -> Path:
        """Where a run's languages wait until the whole task is evaluated."""
        return self.root / "staging" / quote(run_id, safe="") / task_id

    def has(self, run_id: str, task_id: str) -> bool:
        return self.path(run_id, task_id).is_file()

    def write(self, run_id: str, task_id: str, records: pd.DataFrame) -> Path:
        """Store ``records`` (``example_records`` rows of any languages and conditions) as the run's task file.

        The inputs go to their content-addressed file (kept if it exists), then the predictions file that
        names it replaces any earlier one.
        """
        records = typed(records.sort_values(["language", "perturbation"], kind="stable").reset_index(drop=True))
        inputs = _parquet_bytes(records[list(INPUT_COLUMNS)])
        digest = hashlib.sha256(inputs).hexdigest()
        inputs_path = self.root / "inputs" / f"{digest}.parquet"
        if not inputs_path.is_file():
            _atomic_write(inputs_path, inputs)
        metadata = {"format": _FORMAT, "run_id": run_id, "task_id": task_id, "inputs": digest}
        path = self.path(run_id, task_id)
        _atomic_write(path, _parquet_bytes(records[list(PREDICTION_COLUMNS)], metadata))
        return path

    def index(self) -> pd.DataFrame:
        """Every stored (run_id, task_id) with its file."""
        rows = [{"run_id": unquote(d.name), "task_id": f.stem, "path": str(f)}
                for d in sorted((self.root / "runs").glob("*")) if d.is_dir() for f in sorted(d.glob("*.parquet"))]
        return pd.DataFrame(rows, columns=["run_id", "task_id", "path"])

    def _metadata(self, path: Path) -> dict:
        raw = (pq.read_schema(path).metadata or {}).get(_METADATA_KEY)
        if raw is None:
            raise ExamplesError(f"{path}: not a predictions file of Transfer Atlas")
        return json.loads(raw)

    def inputs_of(self, run_id: str, task_id: str) -> str:
        """The hash naming the inputs file of the run's task file: runs with the same one hold the same examples
        in the same order (a predictions file's rows follow its inputs file's)."""
        return self._metadata(self._existing(run_id, task_id))["inputs"]

    def conditions(self, run_id: str, task_id: str) -> pd.DataFrame:
        """(language, perturbation, n) of what the run's task file holds."""
        table = pq.read_table(self._existing(run_id, task_id), columns=["language", "perturbation"])
        frame = table.to_pandas()
        return frame.groupby(["language", "perturbation"], sort=True).size().rename("n").reset_index()

    def _existing(self, run_id: str, task_id: str) -> Path:
        path = self.path(run_id, task_id)
        if not path.is_file():
            raise ExamplesError(f"no stored examples of run {run_id!r} on {task_id!r} (runs keep them since "
                                "example-level predictions were added; re-run the config to write them)")
        return path

    def read(self, run_id: str, task_id: str, languages: Sequence[str] | None = None,
             perturbations: Sequence[str] | None = None, inputs: Sequence[str] | bool = True,
             outcomes_only: bool = False, keys: bool = True) -> pd.DataFrame:
        """The run's rows on ``task_id`` (optionally only some languages and conditions), with their inputs.

        ``inputs`` is True (every input column), False (predictions only) or the input columns wanted;
        ``outcomes_only`` leaves out the predicted text and ``keys=False`` the example keys (for statistics over
        many examples; decoding 10^5 keys costs more than the outcomes). Without keys, the inputs are checked
        to line up with the predictions by their number of rows only.
        """
        path = self._existing(run_id, task_id)
        filters = [(c, "in", list(v)) for c, v in (("language", languages), ("perturbation", perturbations))
                   if v is not None]
        columns = [c for c in PREDICTION_COLUMNS
                   if not (outcomes_only and c == "prediction") and not (c == "key" and not keys)]
        predictions = pq.read_table(path, columns=columns, filters=_unproven(path, filters)).to_pandas()
        if inputs is False:
            return typed(predictions)
        wanted = [c for c in (INPUT_COLUMNS if inputs is True else inputs) if c not in PREDICTION_COLUMNS]
        inputs_path = self.root / "inputs" / f"{self._metadata(path)['inputs']}.parquet"
        if not inputs_path.is_file():
            raise ExamplesError(f"{inputs_path}: the inputs of {path} are missing")
        attributes = pq.read_table(inputs_path, columns=["key", *wanted] if keys else wanted,
                                   filters=_unproven(inputs_path, filters)).to_pandas()
        if len(attributes) != len(predictions) or (keys and not attributes["key"].equals(predictions["key"])):
            raise ExamplesError(f"{inputs_path} does not line up with {path}")
        return typed(pd.concat([predictions, attributes[wanted]], axis=1))


def examples_of(store: ResultsStore) -> ExampleStore:
    """The example store of a results store (see ``examples_root``)."""
    return ExampleStore(examples_root(store.location))


class ExampleSink:
    """One (run, target task)'s examples as the pipeline evaluates them, language by language; ``commit``
    stores them when the task is done. Tasks without per-example predictions are ignored."""

    def __init__(self, store: ExampleStore, run_id: str, task_id: str,
                 tokenizer: PreTrainedTokenizerBase | None = None) -> None:
        self.store, self.run_id, self.task_id, self.tokenizer = store, run_id, task_id, tokenizer
        self.enabled = has_examples(task_id)

    def _part(self, language: str, perturbation: str) -> Path:
        return self.store.staging(self.run_id, self.task_id) / f"{quote(language)}.{quote(perturbation)}.parquet"

    def needs(self, language: str, perturbation: str) -> bool:
        """Whether this language and condition still has to be evaluated to keep its examples."""
        return (self.enabled and not self.store.has(self.run_id, self.task_id)
                and not self._part(language, perturbation).is_file())

    def add(self, language: str, perturbation: str, examples: Dataset | None, predictions: object,
            references: object) -> None:
        """Keep one language's records (no example left to score: an empty part, so it counts as done)."""
        if not self.enabled:
            return
        records = (example_records(self.task_id, language, perturbation, examples, predictions, references,
                                   self.tokenizer) if examples is not None else empty_records())
        _atomic_write(self._part(language, perturbation), _parquet_bytes(records))

    def commit(self) -> Path | None:
        """Store the staged languages as the run's task file (once) and drop the staging folder (also one a
        run killed after storing left behind)."""
        if not self.enabled:
            return None
        staging, path = self.store.staging(self.run_id, self.task_id), None
        parts = [] if self.store.has(self.run_id, self.task_id) else sorted(staging.glob("*.parquet"))
        if parts:
            records = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True).astype(DTYPES)
            path = self.store.write(self.run_id, self.task_id, records)
        shutil.rmtree(staging, ignore_errors=True)
        for folder in (staging.parent, staging.parent.parent):  # the run's and the staging folder, once empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        return path

"""Read a ``Source`` from the Hugging Face hub (the default) or from a local mirror, into canonical columns.

A local mirror is a folder laid out like the hub dataset: ``<root>/<dataset id>/<config or 'default'>/
<split>.jsonl`` with the hub's column schema; it is read with ``load_dataset('json', ...)`` and goes
through the same filtering and column mapping as hub data. Splits the mirror lacks come from the hub. Corpora that are not on the hub are read in
their own distribution format (``local_format: ccgbank``: a CCGbank folder). When the hub is unreachable the error names
the dataset and the folder that would provide it, instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
from datasets import Dataset, load_dataset

from pipeline.data import ccgbank
from pipeline.data.spec import Source


class DataUnavailableError(RuntimeError):
    """A dataset cannot be read from the hub, the cache or the given local directory."""


def local_path(source: Source, root: str | Path) -> Path:
    """Where a local mirror keeps ``source``."""
    return Path(root) / source.dataset / (source.config or "default") / f"{source.split}.jsonl"


def read_source(source: Source, data_root: str | Path | None, streaming: bool) -> Any:
    """The raw split of ``source`` (local mirror, else the hub), unfiltered and with its own columns.

    A mirror may hold only part of a task (e.g. the languages the hub lacks): a split it does not hold is read
    from the hub, unless the source is local-only.
    """
    if data_root is not None and source.local_format == "ccgbank":
        try:
            return ccgbank.read_split(data_root, source.split)
        except FileNotFoundError as exc:
            raise DataUnavailableError(f"{source.describe()}: {exc}") from None
    path = local_path(source, data_root) if data_root is not None else None
    if path is not None and path.is_file():
        return load_dataset("json", data_files={source.split: str(path)}, split=source.split, streaming=streaming)
    if source.local_only:
        layout = "<dir>/data/AUTO/<section>/*.auto" if source.local_format == "ccgbank" else local_path(source, "<dir>")
        found = f" ({path} does not exist)" if path is not None else ""
        raise DataUnavailableError(
            f"{source.describe()} is not on the Hugging Face hub in a form datasets can load; give a local directory "
            f"(data_dirs) holding {layout}{found}; `python -m pipeline preflight CONFIG` says how to get it"
        )
    try:  # RuntimeError: datasets 4+ refuses hub datasets that still ship a loading script
        return load_dataset(source.dataset, source.config, split=source.split, streaming=streaming)
    except (ConnectionError, OSError, ValueError, RuntimeError, datasets.exceptions.DatasetNotFoundError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataUnavailableError(
            f"cannot load {source.describe()} from the Hugging Face hub or its cache ({first_line}); "
            f"download it once with network access, or mirror it locally as {path or local_path(source, '<dir>')} "
            "and pass data_dir/data_dirs in the run config"
        ) from None


def _canonical_batch(batch: dict[str, list], columns: dict[str, Any]) -> dict[str, list]:
    out: dict[str, list] = {}
    for key, column in columns.items():
        if isinstance(column, str):
            out[key] = batch[column]
        elif key == "choices":  # several columns, one choice each -> one list per example
            out[key] = [list(parts) for parts in zip(*(batch[c] for c in column))]
        else:  # several text columns -> one text (e.g. Cosmos QA context + question)
            out[key] = [" ".join(parts) for parts in zip(*(batch[c] for c in column))]
    return out


def _check_columns(source: Source, available: list[str]) -> None:
    wanted = [c for col in source.columns.values() for c in ([col] if isinstance(col, str) else col)]
    missing = [c for c in wanted if c not in available]
    if missing:
        raise DataUnavailableError(
            f"{source.describe()} has no column(s) {', '.join(missing)}; it has {', '.join(available)}"
        )


def _keep(source: Source):
    column, rule = source.filter["column"], source.filter
    if "equals" in rule:
        return lambda batch: [v == rule["equals"] for v in batch[column]]
    return lambda batch: [str(v).startswith(rule["prefix"]) for v in batch[column]]


def load_source(source: Source, data_root: str | Path | None = None, limit: int | None = None) -> Dataset:
    """``source`` as a Dataset with the canonical columns of its head (filtered, first ``limit`` rows)."""
    ds = read_source(source, data_root, streaming=False).flatten()
    if source.filter:
        ds = ds.filter(_keep(source), batched=True)
    if limit is not None:
        ds = ds.select(range(min(limit, len(ds))))
    _check_columns(source, ds.column_names)
    return ds.map(_canonical_batch, batched=True, fn_kwargs={"columns": source.columns},
                  remove_columns=ds.column_names)

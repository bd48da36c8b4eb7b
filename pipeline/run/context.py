"""What every phase of one (model, seed) shares: the config, tokenizer, device and where data and outputs live."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from datasets import Dataset, concatenate_datasets
from transformers import PreTrainedTokenizerBase

from pipeline.data.load import load_source
from pipeline.data.spec import Source, TaskData
from pipeline.models.device import DeviceChoice
from pipeline.run.config import RunConfig
from pipeline.train.batching import pad_batch


@dataclass(frozen=True)
class RunContext:
    """What every phase of one (model, seed) needs."""

    config: RunConfig
    model_id: str
    seed: int
    tokenizer: PreTrainedTokenizerBase
    device: DeviceChoice
    root: Path

    def data_root(self, task_id: str) -> str | None:
        """The local data directory for ``task_id`` (its own, else the config-wide one; None: the hub)."""
        return self.config.data_dirs.get(task_id) or self.config.data_dir

    def collate(self) -> Callable[[dict[str, list]], Any]:
        """Dynamic padding with this tokenizer's pad id."""
        return partial(pad_batch, pad_token_id=self.tokenizer.pad_token_id)


@dataclass(frozen=True)
class Encoder:
    """Where a target phase (or retrieval) gets its encoder: a phase's saved weights or the pretrained ones."""

    key: str
    path: Path | None
    policy: str


def read_examples(ctx: RunContext, data: TaskData, sources: Sequence[Source], languages: Sequence[str],
                  limit: int | None) -> Dataset:
    """The canonical examples of ``sources`` in ``languages`` (first ``limit`` of each source and overall)."""
    parts = [load_source(data.resolve(s, lang), ctx.data_root(data.task_id), limit)
             for s in sources for lang in languages]
    ds = concatenate_datasets(parts)
    return ds.select(range(min(limit, len(ds)))) if limit is not None else ds


def read_shares(ctx: RunContext, data: TaskData, sources: Sequence[Source], languages: Sequence[str],
                limit: int | None) -> Dataset:
    """Examples of several languages with an equal share of ``limit`` from each (``read_examples`` would fill
    the limit from the first language alone); one language: ``read_examples``."""
    share = None if limit is None else math.ceil(limit / len(languages))
    return concatenate_datasets([read_examples(ctx, data, sources, [lang], share) for lang in languages])

"""Run optimizer steps of one training shape on a real-size, randomly initialised model and time them.

The rows are synthetic token ids at the shape's full sequence length (the worst case a real batch reaches);
the steps go through the pipeline's own training loop, so autocast, accumulation and the out-of-memory
back-off are the ones a run uses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from datasets import Dataset
from transformers import PretrainedConfig, PreTrainedModel

from pipeline.models.device import DeviceChoice
from pipeline.models.loading import HEAD_CLASSES
from pipeline.shapecheck.memory import peak_bytes, reset_peak
from pipeline.shapecheck.shapes import Shape
from pipeline.train.batching import pad_batch
from pipeline.train.loop import Optimisation, TrainStream, train

LEARNING_RATE = 1e-5


@dataclass(frozen=True)
class Measurement:
    """Seconds per optimizer step (mean over the steps; ``cpu_seconds_per_step``: this process's CPU time, which
    other jobs on a shared machine do not inflate), peak memory, and the micro-batch that finally ran."""

    seconds_per_step: float
    cpu_seconds_per_step: float
    peak_bytes: int | None
    steps: int
    micro_batch: int
    accumulation: int


def build_model(config: PretrainedConfig, shape: Shape) -> PreTrainedModel:
    """A randomly initialised model of ``config`` with the head of ``shape`` (nothing is downloaded)."""
    config = config.__class__.from_dict(config.to_dict())
    if shape.head in ("sentence_pair_classification", "token_tagging"):
        config.num_labels = shape.labels
    elif shape.head == "span_qa":
        config.num_labels = 2
    return HEAD_CLASSES[shape.head].from_config(config)


def synthetic_rows(shape: Shape, vocab_size: int, seed: int = 0) -> Dataset:
    """One micro-batch of full-length rows with valid labels for the shape's head."""
    rng = np.random.default_rng(seed)
    n, length = shape.batch_size, shape.seq_len

    def ids() -> list[int]:
        return [0, *rng.integers(5, vocab_size, length - 2).tolist(), 2]

    if shape.head == "multiple_choice":
        rows = {"input_ids": [[ids() for _ in range(shape.labels)] for _ in range(n)],
                "attention_mask": [[[1] * length] * shape.labels for _ in range(n)],
                "labels": rng.integers(0, shape.labels, n).tolist()}
    else:
        rows = {"input_ids": [ids() for _ in range(n)], "attention_mask": [[1] * length] * n}
    if shape.head == "sentence_pair_classification":
        rows["labels"] = rng.integers(0, shape.labels, n).tolist()
    elif shape.head == "token_tagging":
        rows["labels"] = rng.integers(0, shape.labels, (n, length)).tolist()
    elif shape.head == "span_qa":
        rows["start_positions"] = rng.integers(1, length // 2, n).tolist()
        rows["end_positions"] = [s + 3 for s in rows["start_positions"]]
    elif shape.head == "mlm":  # 15% of positions predicted, the rest ignored
        rows["labels"] = [[t if rng.random() < 0.15 else -100 for t in row] for row in rows["input_ids"]]
    return Dataset.from_dict(rows)


def measure(config: PretrainedConfig, shape: Shape, steps: int, device: DeviceChoice, seed: int = 0) -> Measurement:
    """Train ``steps`` optimizer steps of ``shape`` on a fresh model of ``config`` and measure them."""
    model = build_model(config, shape)
    pad = config.pad_token_id if config.pad_token_id is not None else 1
    stream = TrainStream(shape.task, model, synthetic_rows(shape, config.vocab_size, seed), shape.batch_size,
                         lambda batch: pad_batch(batch, pad))
    reset_peak(device.device)
    cpu_started = time.process_time()
    report = train([stream], steps, Optimisation(LEARNING_RATE, grad_accumulation=shape.accumulation), device, seed,
                   description=f"shape-check {shape.task}")
    accumulation = shape.accumulation * shape.batch_size // stream.batch_size
    steps = max(report.steps, 1)
    return Measurement(report.seconds / steps, (time.process_time() - cpu_started) / steps,
                       peak_bytes(device.device), report.steps, stream.batch_size, accumulation)

"""How long a phase trains, with which optimiser settings, and how its checkpoints are scored."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from datasets import Dataset
from transformers import PreTrainedModel

from pipeline.data.spec import TaskData
from pipeline.evaluate.outputs import predictions_and_references
from pipeline.run.config import PhaseSettings
from pipeline.run.context import RunContext
from pipeline.train.loop import Optimisation
from pipeline.train.sampling import epoch_examples


def phase_steps(sizes: dict[str, int], weights: dict[str, float], batch_sizes: dict[str, int], epochs: float,
                cap: int | None, settings: PhaseSettings) -> int:
    """Optimiser steps for ``epochs`` passes over the (capped) mixture, at most ``max_steps``."""
    per_batch = sum(weights[name] * batch_sizes[name] for name in sizes)
    micro_batches = math.ceil(epochs * epoch_examples(sizes, cap) / per_batch)
    steps = max(1, math.ceil(micro_batches / settings.grad_accumulation))
    return min(steps, settings.max_steps) if settings.max_steps else steps


def optimisation(settings: PhaseSettings, learning_rate: float) -> Optimisation:
    """The loop's optimiser settings for a phase at ``learning_rate``."""
    return Optimisation(learning_rate=learning_rate, warmup_ratio=settings.warmup_ratio,
                        weight_decay=settings.weight_decay, grad_accumulation=settings.grad_accumulation)


def dev_limit(ctx: RunContext, settings: PhaseSettings) -> int | None:
    """How many dev examples checkpoint selection reads (the phase's setting and the run's cap)."""
    limits = [n for n in (settings.dev_examples, ctx.config.limits.max_eval_examples) if n is not None]
    return min(limits) if limits else None


def dev_scorer(ctx: RunContext, model: PreTrainedModel, data: TaskData, dev: Dataset,
               label_names: Sequence[str] | None, num_labels: int | None,
               score: Callable[[Any, Any], float]) -> Callable[[], float]:
    """A function scoring ``model`` on ``dev`` now (called by the training loop at each selection point)."""
    def run() -> float:
        return score(*predictions_and_references(data.head, model, ctx.tokenizer, dev, data.max_seq_length,
                                                 label_names, num_labels, ctx.config.eval_batch_size, ctx.device))

    return run

"""The optimisation loop of every phase: one task or a mixture, AdamW, linear warmup and decay,
gradient accumulation, autocast, out-of-memory back-off and checkpoint selection on a dev score.

Tasks of a mixture are separate head models that share one encoder module, so one optimiser step
updates the shared encoder and the head of each task trained in that step.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from datasets import Dataset
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from pipeline.models.device import DeviceChoice
from pipeline.train.batching import length_grouped_batches, row_lengths

_NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight")


@dataclass
class TrainStream:
    """One task of a training mixture: its head model, its rows (model inputs only) and batch size."""

    name: str
    model: torch.nn.Module
    rows: Dataset
    batch_size: int
    collate: Callable[[dict[str, list]], dict[str, torch.Tensor]]
    weight: float = 1.0
    _lengths: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._lengths = row_lengths(self.rows["input_ids"])

    def batches(self, rng: np.random.Generator):
        """Endless length-grouped batches, a new shuffle every epoch."""
        while True:
            for idx in length_grouped_batches(self._lengths, self.batch_size, rng):
                yield self.collate(self.rows[idx.tolist()])


@dataclass(frozen=True)
class Optimisation:
    """Optimiser settings of a phase (Phang et al. 2020, A.1: AdamW, 10% warmup)."""

    learning_rate: float
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    grad_accumulation: int = 1
    max_grad_norm: float = 1.0


@dataclass(frozen=True)
class Selection:
    """Checkpoint selection: a dev score (higher is better) every ``every`` steps and at the end."""

    score: Callable[[], float]
    every: int
    patience: int | None
    description: str


@dataclass(frozen=True)
class TrainReport:
    """What a phase did; ``policy`` goes into the notes of every result that depends on it."""

    steps: int
    examples: int
    seconds: float
    policy: str
    best_step: int | None = None
    best_score: float | None = None


def _optimizer(models: list[torch.nn.Module], opt: Optimisation) -> torch.optim.Optimizer:
    seen: set[int] = set()
    decay, no_decay = [], []
    for model in models:
        for name, param in model.named_parameters():
            if id(param) in seen or not param.requires_grad:
                continue
            seen.add(id(param))
            (no_decay if name.endswith(_NO_DECAY) else decay).append(param)
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": opt.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=opt.learning_rate,
    )


def _snapshot(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [p.detach().to("cpu", copy=True) for group in optimizer.param_groups for p in group["params"]]


def _restore(optimizer: torch.optim.Optimizer, saved: list[torch.Tensor]) -> None:
    params = [p for group in optimizer.param_groups for p in group["params"]]
    with torch.no_grad():
        for p, value in zip(params, saved):
            p.copy_(value)


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA's out-of-memory error, or torch's CPU allocator failing (a plain RuntimeError), which the back-off
    treats alike."""
    return isinstance(exc, torch.OutOfMemoryError) or "DefaultCPUAllocator: can't allocate memory" in str(exc)


def _backoff(streams: list[TrainStream], accumulation: int) -> int:
    """Halve every micro-batch and double accumulation (same effective batch); returns the new accumulation."""
    if min(s.batch_size for s in streams) <= 1:
        raise RuntimeError("out of memory even with micro-batches of 1")
    for stream in streams:
        stream.batch_size = max(1, stream.batch_size // 2)
    print(f"out of memory: micro-batch halved, gradient accumulation {2 * accumulation}", file=sys.stderr)
    return 2 * accumulation


def train(streams: list[TrainStream], total_steps: int, opt: Optimisation, device: DeviceChoice, seed: int,
          selection: Selection | None = None, description: str = "train") -> TrainReport:
    """Train ``streams`` for ``total_steps`` optimiser steps, sampling a task per micro-batch by weight.

    With ``selection`` the parameters of the best dev evaluation are restored at the end (early stopping
    after ``patience`` evaluations without improvement); otherwise the last step is kept.
    """
    models = [s.model.to(device.device).train() for s in streams]
    optimizer = _optimizer(models, opt)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(opt.warmup_ratio * total_steps), total_steps)
    rng = np.random.default_rng([seed, 17])
    weights = np.array([s.weight for s in streams], dtype=float)
    weights /= weights.sum()
    iterators = [s.batches(np.random.default_rng([seed, i])) for i, s in enumerate(streams)]
    accumulation = opt.grad_accumulation
    best: tuple[float, int, list[torch.Tensor]] | None = None
    evaluations_since_best, examples, step, started = 0, 0, 0, time.perf_counter()
    progress = tqdm(total=total_steps, desc=description, unit="step", file=sys.stderr, leave=False)
    while step < total_steps:
        try:
            for _ in range(accumulation):
                k = int(rng.choice(len(streams), p=weights))
                batch = {key: value.to(device.device) for key, value in next(iterators[k]).items()}
                with device.autocast():
                    loss = streams[k].model(**batch).loss / accumulation
                loss.backward()
                examples += len(batch["input_ids"])
        except RuntimeError as exc:  # torch.OutOfMemoryError is one
            if not is_out_of_memory(exc):
                raise
            optimizer.zero_grad(set_to_none=True)
            torch.cuda.empty_cache()
            accumulation = _backoff(streams, accumulation)
            iterators = [s.batches(np.random.default_rng([seed, i, accumulation])) for i, s in enumerate(streams)]
            continue
        torch.nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], opt.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        progress.update(1)
        if selection is not None and (step % selection.every == 0 or step == total_steps):
            score = selection.score()
            for model in models:
                model.train()
            progress.set_postfix(dev=f"{score:.2f}")
            if best is None or score > best[0]:
                best, evaluations_since_best = (score, step, _snapshot(optimizer)), 0
            else:
                evaluations_since_best += 1
                if selection.patience is not None and evaluations_since_best >= selection.patience:
                    break
    progress.close()
    seconds = time.perf_counter() - started
    if best is None:
        return TrainReport(step, examples, seconds, f"last checkpoint after {step} steps")
    _restore(optimizer, best[2])
    policy = f"checkpoint: best {selection.description} at step {best[1]}/{step} (every {selection.every} steps)"
    return TrainReport(step, examples, seconds, policy, best_step=best[1], best_score=best[0])

"""The two STILTs training phases, each cached on disk under a key of everything it depends on.

(i) intermediate: one task or a mixture (optionally with multilingual MLM) trained from the pretrained
encoder, which is then saved alone; (ii) target: a fresh model with a fresh head, the intermediate
encoder loaded into it, trained on the task's English training set with checkpoint selection on the
English dev set. Each phase starts from ``set_seed(seed)``, so a phase re-run after a crash, or run
after a cached predecessor, produces the same weights as an uninterrupted run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from datasets import Dataset, concatenate_datasets
from safetensors.torch import load_model as load_weights
from safetensors.torch import save_model as save_weights
from transformers import DataCollatorForLanguageModeling, PreTrainedModel, PreTrainedTokenizerBase, set_seed

from pipeline.data.features import mlm
from pipeline.data.features.labels import names_from_data
from pipeline.data.features.training import training_rows
from pipeline.data.load import load_source
from pipeline.data.mlm_corpus import sample_lines
from pipeline.data.spec import Source, TaskData, intermediate_data, target_data
from pipeline.evaluate.dev import intermediate_dev_score, target_dev_score
from pipeline.evaluate.outputs import predictions_and_references
from pipeline.metrics import scorer_name
from pipeline.models.device import DeviceChoice
from pipeline.models.loading import load_model, read_encoder, save_encoder
from pipeline.run.artifacts import REPORT, atomic_path, read_json, write_json
from pipeline.run.config import MLM_TASK, Intermediate, PhaseSettings, RunConfig, content_hash
from pipeline.tasks import get_intermediate_task, get_target_task
from pipeline.train.batching import pad_batch
from pipeline.train.loop import Optimisation, Selection, TrainStream, train
from pipeline.train.sampling import epoch_examples, proportional_weights, temperature_weights

ENCODER_FILE = "encoder.safetensors"
MODEL_FILE = "model.safetensors"


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
    parts = [load_source(s.for_language(lang, data.lang_codes), ctx.data_root(data.task_id), limit)
             for s in sources for lang in languages]
    ds = concatenate_datasets(parts)
    return ds.select(range(min(limit, len(ds)))) if limit is not None else ds


def _steps(sizes: dict[str, int], weights: dict[str, float], batch_sizes: dict[str, int], epochs: float,
           cap: int | None, settings: PhaseSettings) -> int:
    """Optimiser steps for ``epochs`` passes over the (capped) mixture, at most ``max_steps``."""
    per_batch = sum(weights[name] * batch_sizes[name] for name in sizes)
    micro_batches = math.ceil(epochs * epoch_examples(sizes, cap) / per_batch)
    steps = max(1, math.ceil(micro_batches / settings.grad_accumulation))
    return min(steps, settings.max_steps) if settings.max_steps else steps


def _optimisation(settings: PhaseSettings, learning_rate: float) -> Optimisation:
    return Optimisation(learning_rate=learning_rate, warmup_ratio=settings.warmup_ratio,
                        weight_decay=settings.weight_decay, grad_accumulation=settings.grad_accumulation)


def _dev_limit(ctx: RunContext, settings: PhaseSettings) -> int | None:
    limits = [n for n in (settings.dev_examples, ctx.config.limits.max_eval_examples) if n is not None]
    return min(limits) if limits else None


def _save_encoder_phase(model: PreTrainedModel, out: Path, report: dict) -> None:
    tmp = atomic_path(out / ENCODER_FILE)
    save_encoder(model, tmp)
    os.replace(tmp, out / ENCODER_FILE)
    write_json(out / REPORT, report)


# --- (i) intermediate phase -------------------------------------------------------------------------------

def intermediate_key(ctx: RunContext, spec: Intermediate) -> str:
    """Key of the intermediate phase of ``spec`` (everything its encoder depends on)."""
    config = ctx.config
    return content_hash({
        "phase": "intermediate", "model": ctx.model_id, "spec": spec.model_dump(mode="json"),
        "mlm": config.mlm_for(spec), "mlm_languages": config.mlm_languages,
        "settings": config.hyperparameters.intermediate.model_dump(mode="json"),
        "limits": config.limits.model_dump(mode="json"), "eval_batch_size": config.eval_batch_size,
        "data": {t: ctx.data_root(t) for t in (*spec.tasks, MLM_TASK)}, "seed": ctx.seed,
    })


def intermediate_phase(ctx: RunContext, spec: Intermediate) -> Encoder:
    """The encoder after intermediate training on ``spec`` (trained now, or read from an earlier run)."""
    if spec.is_baseline:
        return Encoder(content_hash({"pretrained": ctx.model_id}), None, "")
    key = intermediate_key(ctx, spec)
    out = ctx.root / key
    report = read_json(out / REPORT)
    if report is None:
        report = _train_intermediate(ctx, spec, out)
    return Encoder(key, out / ENCODER_FILE, report["policy"])


def _mlm_stream(ctx: RunContext, settings: PhaseSettings) -> TrainStream:
    data = intermediate_data(get_intermediate_task(MLM_TASK))
    languages = ctx.config.mlm_languages or data.languages
    total = ctx.config.limits.mlm_examples or data.max_examples
    lines = sample_lines(data.train[0], languages, ctx.data_root(MLM_TASK), total, data.language_alpha)
    rows = mlm.encode(lines, ctx.tokenizer, data.max_seq_length)
    model = load_model(ctx.model_id, "mlm")
    collator = DataCollatorForLanguageModeling(ctx.tokenizer, mlm_probability=0.15, seed=ctx.seed)
    collate = lambda batch: dict(collator([dict(zip(batch, values)) for values in zip(*batch.values())]))  # noqa: E731
    return TrainStream(MLM_TASK, model, rows, settings.batch_size or data.batch_size, collate)


def _task_stream(ctx: RunContext, task_id: str, languages: Sequence[str], settings: PhaseSettings
                 ) -> tuple[TrainStream, Callable[[], float] | None, str]:
    data = intermediate_data(get_intermediate_task(task_id))
    examples = read_examples(ctx, data, data.train, languages, ctx.config.limits.max_train_examples)
    label_names = data.label_names
    if data.head == "token_tagging" and label_names is None:
        label_names = names_from_data(examples["tags"])
    num_labels = len(label_names) if data.head == "token_tagging" else data.num_labels
    model = load_model(ctx.model_id, data.head, num_labels)
    rows = training_rows(data.head, examples, ctx.tokenizer, data.max_seq_length, label_names, num_labels)
    stream = TrainStream(task_id, model, rows, settings.batch_size or data.batch_size, ctx.collate())
    if not data.dev:
        return stream, None, ""
    dev = read_examples(ctx, data, data.dev, languages, _dev_limit(ctx, settings))

    def score() -> float:
        outputs = predictions_and_references(data.head, model, ctx.tokenizer, dev, data.max_seq_length, label_names,
                                             num_labels, ctx.config.eval_batch_size, ctx.device)
        return intermediate_dev_score(data.head, *outputs)

    return stream, score, f"{task_id} dev ({len(dev)} examples)"


def _share_encoder(streams: list[TrainStream]) -> None:
    """Make every head model use the first model's embeddings and transformer layers (the MLM model's, if
    any: its output layer is tied to those embeddings). Poolers stay per head: they are head weights."""
    trunk = streams[0].model.base_model
    for stream in streams[1:]:
        stream.model.base_model.embeddings = trunk.embeddings
        stream.model.base_model.encoder = trunk.encoder


def _train_intermediate(ctx: RunContext, spec: Intermediate, out: Path) -> dict:
    settings = ctx.config.hyperparameters.intermediate
    with_mlm = ctx.config.mlm_for(spec)
    set_seed(ctx.seed)
    streams, scorers, described = [], [], []
    if with_mlm or MLM_TASK in spec.tasks:
        streams.append(_mlm_stream(ctx, settings))
    for task_id in (t for t in spec.tasks if t != MLM_TASK):
        stream, score, description = _task_stream(ctx, task_id, spec.languages, settings)
        streams.append(stream)
        if score is not None:
            scorers.append(score)
            described.append(description)
    _share_encoder(streams)
    sizes = {s.name: len(s.rows) for s in streams}
    mixture = len(streams) > 1
    if mixture and spec.sampling.method == "temperature":
        weights, cap = temperature_weights(sizes, spec.sampling.temperature), None
    else:
        weights, cap = proportional_weights(sizes, spec.sampling.cap), (spec.sampling.cap if mixture else None)
    for stream in streams:
        stream.weight = weights[stream.name]
    only = get_intermediate_task(streams[-1].name)
    epochs = settings.epochs or (settings.multi_task_epochs if len(spec.tasks) > 1 else only.epochs)
    steps = _steps(sizes, weights, {s.name: s.batch_size for s in streams}, epochs, cap, settings)
    selection = None
    if scorers:
        every = settings.eval_every or max(1, math.ceil(steps / epochs))
        selection = Selection(score=lambda: sum(f() for f in scorers) / len(scorers), every=every,
                              patience=settings.patience, description="mean of " + ", ".join(described))
    learning_rate = settings.learning_rate_with_mlm if with_mlm and settings.learning_rate_with_mlm else (
        settings.learning_rate)
    report = train(streams, steps, _optimisation(settings, learning_rate), ctx.device, ctx.seed, selection,
                   description=f"intermediate {'+'.join(sizes)} seed {ctx.seed}")
    policy = f"intermediate {'+'.join(sizes)} ({spec.sampling.method} sampling) lr {learning_rate}: {report.policy}"
    result = {**asdict(report), "policy": policy, "sizes": sizes, "weights": weights}
    _save_encoder_phase(streams[0].model, out, result)
    return result


def encoder_model(ctx: RunContext, encoder: Encoder) -> PreTrainedModel:
    """The bare encoder (no head) with ``encoder``'s weights, returning every hidden layer (retrieval)."""
    carried = read_encoder(encoder.path) if encoder.path is not None else None
    model = load_model(ctx.model_id, "retrieval", encoder_state=carried)
    model.config.output_hidden_states = True
    return model


# --- (ii) target phase ------------------------------------------------------------------------------------

def _target_settings(ctx: RunContext, task_id: str, data: TaskData) -> dict[str, Any]:
    settings, spec = ctx.config.hyperparameters.target, ctx.config.targets[task_id]
    return {
        "learning_rate": spec.learning_rate or settings.learning_rate,
        "batch_size": spec.batch_size or settings.batch_size or data.batch_size,
        "epochs": spec.epochs or settings.epochs or data.epochs,
    }


def target_key(ctx: RunContext, task_id: str, encoder: Encoder) -> str:
    """Key of the target phase of ``task_id`` on ``encoder`` (tasks with the same data, settings and dev
    scorer share it)."""
    data = target_data(get_target_task(task_id))
    return content_hash({
        "phase": "target", "encoder": encoder.key, "model": ctx.model_id, "head": data.head,
        "train": [asdict(s) for s in data.train], "dev": [asdict(s) for s in data.dev],
        "labels": data.label_names, "num_labels": data.num_labels, "max_length": data.max_seq_length,
        "scorer": scorer_name(get_target_task(task_id)), "resolved": _target_settings(ctx, task_id, data),
        "settings": ctx.config.hyperparameters.target.model_dump(mode="json"),
        "limits": ctx.config.limits.model_dump(mode="json"), "eval_batch_size": ctx.config.eval_batch_size,
        "data": ctx.data_root(task_id), "seed": ctx.seed,
    })


def target_phase(ctx: RunContext, task_id: str, encoder: Encoder) -> tuple[PreTrainedModel, str, dict]:
    """(model, phase key, report) of ``task_id`` trained on top of ``encoder`` (or read from an earlier run)."""
    data = target_data(get_target_task(task_id))
    key = target_key(ctx, task_id, encoder)
    out = ctx.root / key
    report = read_json(out / REPORT)
    if report is not None:
        model = load_model(ctx.model_id, data.head, data.num_labels)
        load_weights(model, str(out / MODEL_FILE))
        return model, key, report
    set_seed(ctx.seed)
    carried = read_encoder(encoder.path) if encoder.path is not None else None
    model = load_model(ctx.model_id, data.head, data.num_labels, carried)
    settings = ctx.config.hyperparameters.target
    resolved = _target_settings(ctx, task_id, data)
    examples = read_examples(ctx, data, data.train, ("en",), ctx.config.limits.max_train_examples)
    rows = training_rows(data.head, examples, ctx.tokenizer, data.max_seq_length, data.label_names, data.num_labels)
    dev = read_examples(ctx, data, data.dev, ("en",), _dev_limit(ctx, settings))

    def score() -> float:
        outputs = predictions_and_references(data.head, model, ctx.tokenizer, dev, data.max_seq_length,
                                             data.label_names, data.num_labels, ctx.config.eval_batch_size, ctx.device)
        return target_dev_score(task_id, *outputs)

    size = {task_id: len(rows)}
    steps = _steps(size, {task_id: 1.0}, {task_id: resolved["batch_size"]}, resolved["epochs"], None, settings)
    every = settings.eval_every or max(1, math.ceil(steps / resolved["epochs"]))
    primary = get_target_task(task_id).primary
    selection = Selection(score, every, settings.patience,
                          f"English dev {primary} ({data.dev[0].describe()}, {len(dev)} examples)")
    stream = TrainStream(task_id, model, rows, resolved["batch_size"], ctx.collate())
    trained = train([stream], steps, _optimisation(settings, resolved["learning_rate"]), ctx.device, ctx.seed,
                    selection, description=f"target {task_id} seed {ctx.seed}")
    report = {**asdict(trained), "policy": f"target lr {resolved['learning_rate']}: {trained.policy}"}
    out.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(out / MODEL_FILE)
    save_weights(model, str(tmp))
    os.replace(tmp, out / MODEL_FILE)
    write_json(out / REPORT, report)
    return model, key, report

"""(i) The intermediate phase: one task or a mixture (optionally with multilingual MLM) trained from the
pretrained encoder; only the encoder is saved. The phase is cached under a key of everything it depends
on and starts from ``set_seed(seed)``, so a re-run after a crash reproduces it exactly.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path

from transformers import DataCollatorForLanguageModeling, PreTrainedModel, set_seed

from pipeline.data.features import mlm
from pipeline.data.features.labels import names_from_data
from pipeline.data.features.training import training_rows
from pipeline.data.mlm_corpus import sample_lines
from pipeline.data.spec import intermediate_data
from pipeline.evaluate.dev import intermediate_dev_score
from pipeline.models.loading import load_model, read_encoder, save_encoder
from pipeline.run.artifacts import REPORT, atomic_path, read_json, write_json
from pipeline.run.config import MLM_TASK, Intermediate, PhaseSettings, content_hash
from pipeline.run.context import Encoder, RunContext, read_examples, read_shares
from pipeline.run.schedule import dev_limit, dev_scorer, optimisation, phase_steps
from pipeline.tasks import get_intermediate_task
from pipeline.train.loop import Selection, TrainStream, train
from pipeline.train.sampling import proportional_weights, temperature_weights

ENCODER_FILE = "encoder.safetensors"


def _save_encoder_phase(model: PreTrainedModel, out: Path, report: dict) -> None:
    """Encoder first, report last: the report is what marks the phase as finished."""
    tmp = atomic_path(out / ENCODER_FILE)
    save_encoder(model, tmp)
    os.replace(tmp, out / ENCODER_FILE)
    write_json(out / REPORT, report)


def intermediate_key(ctx: RunContext, spec: Intermediate) -> str:
    """Key of the intermediate phase of ``spec`` (everything its encoder depends on)."""
    config = ctx.config
    # Several languages train as one stream each (phases cached before that concatenated them: never reuse).
    per_language = {"language_streams": True} if len(spec.languages) > 1 else {}
    return content_hash({
        **per_language, "phase": "intermediate", "model": ctx.model_id, "spec": spec.model_dump(mode="json"),
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
    """Multilingual MLM as one more task of the mixture (Phang et al. 2020, section 2.3)."""
    data = intermediate_data(get_intermediate_task(MLM_TASK))
    languages = ctx.config.mlm_languages or data.languages
    total = ctx.config.limits.mlm_examples or data.max_examples
    lines = sample_lines(data.train[0], languages, ctx.data_root(MLM_TASK), total, data.language_alpha)
    rows = mlm.encode(lines, ctx.tokenizer, data.max_seq_length)
    model = load_model(ctx.model_id, "mlm")
    collator = DataCollatorForLanguageModeling(ctx.tokenizer, mlm_probability=0.15, seed=ctx.seed)
    return TrainStream(MLM_TASK, model, rows, settings.batch_size or data.batch_size, partial(_mask, collator))


def _mask(collator: DataCollatorForLanguageModeling, batch: dict[str, list]) -> dict:
    """Pad and mask a batch (15%: 80% <mask>, 10% random, 10% kept) with the collator's own seeded generator."""
    return dict(collator([dict(zip(batch, values)) for values in zip(*batch.values())]))


def _stream_name(task_id: str, lang: str, languages: Sequence[str]) -> str:
    """A stream's name in the mixture: the task, or ``task:lang`` when the task trains on several languages."""
    return task_id if len(languages) == 1 else f"{task_id}:{lang}"


def _task_streams(ctx: RunContext, task_id: str, languages: Sequence[str], settings: PhaseSettings
                  ) -> tuple[list[TrainStream], Callable[[], float] | None, str]:
    """One intermediate task's training streams (one per language, all training the same model and head), its
    dev scorer (if it has dev data; an equal share of dev examples per language) and a description."""
    data = intermediate_data(get_intermediate_task(task_id))
    examples = {lang: read_examples(ctx, data, data.train, [lang], ctx.config.limits.max_train_examples)
                for lang in languages}
    label_names = data.label_names
    if data.head == "token_tagging" and label_names is None:
        label_names = names_from_data(tags for part in examples.values() for tags in part["tags"])
    num_labels = len(label_names) if data.head == "token_tagging" else data.num_labels
    model = load_model(ctx.model_id, data.head, num_labels)
    streams = [TrainStream(_stream_name(task_id, lang, languages), model,
                           training_rows(data.head, part, ctx.tokenizer, data.max_seq_length, label_names, num_labels),
                           settings.batch_size or data.batch_size, ctx.collate())
               for lang, part in examples.items()]
    if not data.dev:
        return streams, None, ""
    dev = read_shares(ctx, data, data.dev, languages, dev_limit(ctx, settings))
    score = dev_scorer(ctx, model, data, dev, label_names, num_labels, partial(intermediate_dev_score, data.head))
    return streams, score, f"{task_id} dev ({len(dev)} examples)"


def _share_encoder(streams: list[TrainStream]) -> None:
    """Make every head model use the first model's embeddings and transformer layers (the MLM model's, if
    any: its output layer is tied to those embeddings). Poolers stay per head: they are head weights."""
    trunk = streams[0].model.base_model
    for stream in streams[1:]:
        stream.model.base_model.embeddings = trunk.embeddings
        stream.model.base_model.encoder = trunk.encoder


def _mean_score(scorers: list[Callable[[], float]]) -> float:
    """A mixture's dev score: the mean of its tasks' dev scores."""
    return sum(score() for score in scorers) / len(scorers)


def _train_intermediate(ctx: RunContext, spec: Intermediate, out: Path) -> dict:
    """Train the mixture of ``spec`` and save its encoder and report under ``out``."""
    settings = ctx.config.hyperparameters.intermediate
    with_mlm = ctx.config.mlm_for(spec)
    set_seed(ctx.seed)
    streams, scorers, described = [], [], []
    if with_mlm or MLM_TASK in spec.tasks:
        streams.append(_mlm_stream(ctx, settings))
    for task_id in (t for t in spec.tasks if t != MLM_TASK):
        task_streams, score, description = _task_streams(ctx, task_id, spec.languages, settings)
        streams.extend(task_streams)
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
    only = get_intermediate_task(spec.tasks[-1])
    epochs = settings.epochs or (settings.multi_task_epochs if len(spec.tasks) > 1 else only.epochs)
    steps = phase_steps(sizes, weights, {s.name: s.batch_size for s in streams}, epochs, cap, settings)
    selection = None
    if scorers:
        every = settings.eval_every or max(1, math.ceil(steps / epochs))
        selection = Selection(score=partial(_mean_score, scorers), every=every, patience=settings.patience,
                              description="mean of " + ", ".join(described))
    learning_rate = settings.learning_rate_with_mlm if with_mlm and settings.learning_rate_with_mlm else (
        settings.learning_rate)
    report = train(streams, steps, optimisation(settings, learning_rate), ctx.device, ctx.seed, selection,
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

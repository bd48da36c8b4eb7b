"""(ii) The target phase: a fresh model with a fresh head, the intermediate encoder loaded into it, trained on
the task's English training set with checkpoint selection on the English dev set (strictly zero-shot).
Cached like the intermediate phase; tasks with the same data, settings and dev scorer share one phase.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict
from functools import partial
from typing import Any

from safetensors.torch import load_model as load_weights
from safetensors.torch import save_model as save_weights
from transformers import PreTrainedModel, set_seed

from pipeline.data.features.training import training_rows
from pipeline.data.spec import TaskData, target_data
from pipeline.evaluate.dev import target_dev_score
from pipeline.metrics import scorer_name
from pipeline.models.loading import load_model, read_encoder
from pipeline.run.artifacts import REPORT, atomic_path, read_json, write_json
from pipeline.run.config import content_hash
from pipeline.run.context import Encoder, RunContext, read_examples
from pipeline.run.schedule import dev_limit, dev_scorer, optimisation, phase_steps
from pipeline.tasks import get_target_task
from pipeline.train.loop import Selection, TrainStream, train

MODEL_FILE = "model.safetensors"


def _target_settings(ctx: RunContext, task_id: str, data: TaskData) -> dict[str, Any]:
    """Learning rate, batch size and epochs: the config's per-task value, its phase value, or Table 4's."""
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
    dev = read_examples(ctx, data, data.dev, ("en",), dev_limit(ctx, settings))
    score = dev_scorer(ctx, model, data, dev, data.label_names, data.num_labels, partial(target_dev_score, task_id))
    size = {task_id: len(rows)}
    steps = phase_steps(size, {task_id: 1.0}, {task_id: resolved["batch_size"]}, resolved["epochs"], None, settings)
    every = settings.eval_every or max(1, math.ceil(steps / resolved["epochs"]))
    primary = get_target_task(task_id).primary
    selection = Selection(score, every, settings.patience,
                          f"English dev {primary} ({data.dev[0].describe()}, {len(dev)} examples)")
    stream = TrainStream(task_id, model, rows, resolved["batch_size"], ctx.collate())
    trained = train([stream], steps, optimisation(settings, resolved["learning_rate"]), ctx.device, ctx.seed,
                    selection, description=f"target {task_id} seed {ctx.seed}")
    report = {**asdict(trained), "policy": f"target lr {resolved['learning_rate']}: {trained.policy}"}
    out.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(out / MODEL_FILE)
    save_weights(model, str(tmp))
    os.replace(tmp, out / MODEL_FILE)
    write_json(out / REPORT, report)
    return model, key, report

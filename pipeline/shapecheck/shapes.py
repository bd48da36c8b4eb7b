"""The training shapes of a config: each distinct (task, head, sequence length, micro-batch, accumulation) that a
phase trains, with the phases that train it. The values are the pipeline's own (``run.intermediate``,
``run.target``): the config's settings, else the registry's Table 3/4 values."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.data.spec import TaskData, intermediate_data, target_data
from pipeline.run.config import MLM_TASK, RunConfig
from pipeline.tasks import get_intermediate_task, get_target_task

#: Labels assumed for a tag set read from the data at run time (CCGbank has ~1,300 supertags in training).
UNKNOWN_TAG_SET = 1300


@dataclass(frozen=True)
class Shape:
    """One micro-batch shape a phase trains; ``labels``: classes, tags or choices (None for QA and MLM)."""

    task: str
    head: str
    seq_len: int
    batch_size: int
    accumulation: int
    labels: int | None

    @property
    def sequences(self) -> int:
        """Sequences per micro-batch (multiple choice encodes every choice)."""
        return self.batch_size * (self.labels if self.head == "multiple_choice" else 1)

    def tokens_per_step(self) -> int:
        """Tokens one optimizer step processes at full length (the estimate's assumption too)."""
        return self.sequences * self.seq_len * self.accumulation


def _labels(data: TaskData) -> int | None:
    if data.head == "token_tagging":
        return len(data.label_names) if data.label_names else UNKNOWN_TAG_SET
    return data.num_labels if data.head in ("sentence_pair_classification", "multiple_choice") else None


def training_shapes(config: RunConfig) -> dict[Shape, list[str]]:
    """Each distinct shape the config trains -> the phases that train it (retrieval tasks train nothing)."""
    shapes: dict[Shape, list[str]] = {}
    inter = config.hyperparameters.intermediate
    for spec in (s for s in config.intermediate if not s.is_baseline):
        with_mlm = config.mlm_for(spec) or MLM_TASK in spec.tasks
        name = "intermediate " + "+".join(spec.tasks) + ("+mlm" if with_mlm and MLM_TASK not in spec.tasks else "")
        tasks = [t for t in spec.tasks if t != MLM_TASK] + ([MLM_TASK] if with_mlm else [])
        for task_id in tasks:
            data = intermediate_data(get_intermediate_task(task_id))
            shape = Shape(task_id, data.head, data.max_seq_length, inter.batch_size or data.batch_size,
                          inter.grad_accumulation, _labels(data))
            shapes.setdefault(shape, []).append(name)
    target = config.hyperparameters.target
    for task_id, spec in config.targets.items():
        data = target_data(get_target_task(task_id))
        if data.head == "retrieval":
            continue
        shape = Shape(task_id, data.head, data.max_seq_length, spec.batch_size or target.batch_size or data.batch_size,
                      target.grad_accumulation, _labels(data))
        shapes.setdefault(shape, []).append(f"target {task_id}")
    return shapes

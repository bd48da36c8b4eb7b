"""A rough cost for a config before it runs: phases, examples processed, and a time on a device.

Order of magnitude only (expect ±3x): training costs ~6 x (non-embedding parameters) x (sequence length)
FLOPs per example and evaluation ~2x, at a sustained rate per device class, plus start-up and per-phase
overheads (fitted to the tiny config: 20-60 s here, depending on load); sequences are taken at the task's
maximum length and every phase at its step cap, so the estimate errs high. Tiny test models are all overhead.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.data.spec import intermediate_data, target_data
from pipeline.published.importer import MODELS_CSV
from pipeline.run.config import MLM_TASK, Intermediate, PhaseSettings, RunConfig
from pipeline.tasks import get_intermediate_task, get_target_task

#: Sustained training/inference FLOP/s: CPU measured here (6-layer hidden-384 encoder, ~13 examples/s at
#: length 128 on 2 cores, ENV-NOTES), scaled per core; GPUs at ~40% of A100 bf16 / V100 fp32 peaks.
FLOPS_PER_CPU_CORE = 5e10
FLOPS_CUDA = {"bf16": 4e13, "fp32": 6e12}
START_SECONDS = 10.0  # interpreter, torch/transformers/datasets imports, tokenizer
PHASE_SECONDS = 0.4  # loading a model and its data, saving weights
EVALUATION_SECONDS = 0.1  # per evaluated language, besides the compute
#: Examples per evaluated language when the config sets no ``max_eval_examples`` (XNLI's test set: 5,010).
DEFAULT_EVAL_EXAMPLES = 5000

#: English training-set sizes for tasks the published Table 1 of Phang et al. does not list: target tasks
#: from Hu et al. 2020 (XTREME), Table 1; MNLI (Williams et al. 2018); SQuAD 2.0 (Rajpurkar et al. 2018).
TRAIN_SIZES = {"xnli": 392_702, "pawsx": 49_401, "udpos": 21_253, "panx": 20_000, "xquad": 87_599,
               "mlqa": 87_599, "tydiqa": 3_696, "mnli": 392_702, "squad_v2": 130_319}


@dataclass(frozen=True)
class Estimate:
    """What a config will do and roughly how long it takes."""

    runs: int
    train_phases: int
    evaluations: int  # (run, target task, language) triples
    train_examples: int
    eval_examples: int
    train_flops: float
    eval_flops: float
    model_params: int | None  # non-embedding parameters, None when unknown
    unknown: list[str] = field(default_factory=list)  # sizes that could not be known (left out)

    def seconds(self, device: str, precision: str, cores: int = 2) -> float | None:
        """Wall time on ``device`` ('cpu'/'cuda'); None when the model's size is unknown."""
        rate = FLOPS_CUDA.get(precision, FLOPS_CUDA["fp32"]) if device.startswith("cuda") else (
            FLOPS_PER_CPU_CORE * max(1, cores))
        overhead = START_SECONDS + PHASE_SECONDS * self.train_phases + EVALUATION_SECONDS * self.evaluations
        if self.model_params is None:
            return None
        return overhead + (self.train_flops + self.eval_flops) / rate


@lru_cache(maxsize=32)
def _published_sizes() -> dict[str, int]:
    from pipeline.analysis.complexity import published_profiles

    table = published_profiles()
    return dict(zip(table["intermediate_task"], table["train_size"].astype(int), strict=True))


@lru_cache(maxsize=1)
def _published_params() -> dict[str, int]:
    """Total parameters of published models (models.csv; embeddings included, so estimates err high)."""
    with open(MODELS_CSV, encoding="utf-8") as fh:
        return {r["model"]: int(r["model_params"]) for r in csv.DictReader(fh) if r["model_params"]}


def train_size(task_id: str) -> int | None:
    """English training examples of a task (published figures), None if not known here."""
    return TRAIN_SIZES.get(task_id) or _published_sizes().get(task_id)


def non_embedding_params(model_id: str, build_test_assets: bool) -> int | None:
    """Transformer-layer parameters of a model: from its config.json (a local directory or the local hub
    cache, else models.csv); a test model still to be built counts as 0 (all overhead); None if unknown."""
    config_file = Path(model_id) / "config.json"
    if not config_file.is_file():
        if build_test_assets:
            return 0
        try:
            from huggingface_hub import hf_hub_download

            config_file = Path(hf_hub_download(model_id, "config.json", local_files_only=True))
        except Exception:  # not in the local cache (the hub is not asked: this must stay instant)
            return _published_params().get(model_id) or _published_params().get(model_id.split("/")[-1])
    config = json.loads(config_file.read_text(encoding="utf-8"))
    hidden, layers = config.get("hidden_size"), config.get("num_hidden_layers")
    if not hidden or not layers:
        return None
    return layers * (4 * hidden * hidden + 2 * hidden * config.get("intermediate_size", 4 * hidden))


def _steps(examples: int, batch: int, epochs: float, settings: PhaseSettings) -> int:
    steps = max(1, math.ceil(epochs * examples / (batch * settings.grad_accumulation)))
    return min(steps, settings.max_steps) if settings.max_steps else steps


def _intermediate_cost(config: RunConfig, spec: Intermediate, unknown: list[str]) -> tuple[int, int]:
    """(examples processed, sequence length) of one intermediate phase."""
    settings = config.hyperparameters.intermediate
    tasks = list(spec.tasks) + ([MLM_TASK] if config.mlm_for(spec) and MLM_TASK not in spec.tasks else [])
    sizes, lengths = [], []
    for task_id in tasks:
        data = intermediate_data(get_intermediate_task(task_id))
        size = (config.limits.mlm_examples or data.max_examples) if task_id == MLM_TASK else train_size(task_id)
        if size is None:
            unknown.append(f"{task_id} training set")
            continue
        limit = config.limits.max_train_examples if task_id != MLM_TASK else None
        sizes.append(min(size, limit) if limit else size)
        lengths.append(data.max_seq_length)
    first = get_intermediate_task(spec.tasks[0])
    batch = settings.batch_size or first.batch_size
    epochs = settings.epochs or (settings.multi_task_epochs if len(spec.tasks) > 1 else first.epochs)
    steps = _steps(sum(sizes), batch, epochs, settings) if sizes else 0
    return steps * batch * settings.grad_accumulation, max(lengths, default=0)


def _target_cost(config: RunConfig, task_id: str, unknown: list[str]) -> int:
    """Examples processed by one target phase (0 for retrieval tasks, which do not train)."""
    data = target_data(get_target_task(task_id))
    if data.head == "retrieval":
        return 0
    settings, spec = config.hyperparameters.target, config.targets[task_id]
    size = train_size(task_id)
    limit = config.limits.max_train_examples
    if size is None and limit is None:
        unknown.append(f"{task_id} training set")
        return 0
    size = min(size, limit) if size and limit else (size or limit)
    batch = spec.batch_size or settings.batch_size or data.batch_size or 32
    epochs = spec.epochs or settings.epochs or data.epochs or 1
    return _steps(size, batch, epochs, settings) * batch * settings.grad_accumulation


def estimate(config: RunConfig) -> Estimate:
    """The work a config implies and what it costs in FLOPs (see the module docstring for the model)."""
    unknown: list[str] = []
    runs = len(config.models) * len(config.seeds) * len(config.intermediate)
    per_seed_phases = sum(1 for spec in config.intermediate if not spec.is_baseline)
    train_tokens = train_examples = phases = 0
    for spec in config.intermediate:
        if not spec.is_baseline:
            examples, length = _intermediate_cost(config, spec, unknown)
            train_examples += examples
            train_tokens += examples * length
    eval_examples = eval_tokens = evaluations = 0
    for task_id in config.targets:
        length = target_data(get_target_task(task_id)).max_seq_length
        examples = _target_cost(config, task_id, unknown) * len(config.intermediate)
        phases += len(config.intermediate) if examples else 0
        train_examples += examples
        train_tokens += examples * length
        n_languages = len(config.languages_of(task_id))
        per_language = config.limits.max_eval_examples or DEFAULT_EVAL_EXAMPLES
        evaluations += n_languages * len(config.intermediate)
        eval_examples += per_language * n_languages * len(config.intermediate)
        eval_tokens += per_language * n_languages * len(config.intermediate) * length
    repeats = len(config.models) * len(config.seeds)
    params = [non_embedding_params(m, config.build_test_assets) for m in config.models]
    size = None if None in params else max(params)
    return Estimate(
        runs=runs, train_phases=repeats * (phases + per_seed_phases), evaluations=repeats * evaluations,
        train_examples=repeats * train_examples, eval_examples=repeats * eval_examples,
        train_flops=6.0 * (size or 0) * repeats * train_tokens, eval_flops=2.0 * (size or 0) * repeats * eval_tokens,
        model_params=size, unknown=sorted(set(unknown)),
    )

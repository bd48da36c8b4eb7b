"""A rough cost for a config before it runs: phases, examples processed, and a time on a device.

Order of magnitude only (expect ±2x): training costs ``6 x (non-embedding parameters + 2 x layers x hidden x
sequence length)`` FLOPs per token (the second term is attention), plus the MLM output layer (``hidden x
vocabulary``, which XLM-R's 250k vocabulary makes bigger than a Base encoder) for MLM tokens; evaluation a third
of that. Multiple-choice examples count once per choice. Every optimizer step also streams the AdamW update of
every parameter (embeddings included) through memory. FLOPs go at a sustained rate per device class (measured
by ``python -m pipeline shape-check``, bench/README.md), plus start-up and per-phase overheads; sequences are
taken at the task's maximum length and every phase at its step cap, so the estimate errs high.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.data.spec import TaskData, intermediate_data, target_data
from pipeline.models.architectures import config_values
from pipeline.published.importer import MODELS_CSV, TASK_STATS_CSV
from pipeline.run.config import MLM_TASK, Intermediate, PhaseSettings, RunConfig
from pipeline.tasks import get_intermediate_task, get_target_task
from pipeline.train.sampling import epoch_examples, proportional_weights, temperature_weights

#: Sustained training FLOP/s. CPU, per core: XLM-R Base measured by shape-check on the 2-core build machine
#: (bench/README.md, "Real-shape dry runs": 5-6.6e10 FLOP per CPU-second at sequence length 128-256).
#: GPUs: ~40% of A100 bf16 / V100 fp32 peaks (no GPU measurement yet: bench/gpu_first_run.sh).
FLOPS_PER_CPU_CORE = 5e10
#: Keyed by ``DeviceChoice.precision``.
FLOPS_CUDA = {"bfloat16": 4e13, "fp32": 6e12}
#: Memory traffic of one AdamW update per parameter in fp32 (read parameter, gradient and both moments, write
#: three back) and the bandwidth it runs at: every step updates every parameter, embeddings included (XLM-R's
#: 250k-token embedding gets a dense gradient), which dominates small-batch steps (XNLI trains at batch 4).
#: CPU: XLM-R Base's 278M-parameter update took ~8.6 CPU-seconds per step in shape-check (bench/README.md).
UPDATE_BYTES_PER_PARAM = 28
BANDWIDTH_PER_CPU_CORE = 1e9
BANDWIDTH_CUDA = 1.5e12
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
    optimizer_bytes: float = 0.0  # memory traffic of every optimizer step's update

    def seconds(self, device: str, precision: str, cores: int = 2) -> float | None:
        """Wall time on ``device`` ('cpu'/'cuda'); None when the model's size is unknown."""
        rate = flops_rate(device, precision, cores)
        overhead = START_SECONDS + PHASE_SECONDS * self.train_phases + EVALUATION_SECONDS * self.evaluations
        if self.model_params is None:
            return None
        return overhead + (self.train_flops + self.eval_flops) / rate + self.optimizer_bytes / bandwidth(device, cores)


@lru_cache(maxsize=1)
def _published_sizes() -> dict[str, int]:
    """Training sizes Phang et al. printed (Table 1), read here: the complexity analysis that profiles the
    same table imports transformers and scipy, a second of the Runs page's first visit."""
    with open(TASK_STATS_CSV, encoding="utf-8") as fh:
        return {get_intermediate_task(r["intermediate_task"]).id: int(r["train_size"]) for r in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def _published_params() -> dict[str, int]:
    """Total parameters of published models (models.csv; embeddings included, so estimates err high)."""
    with open(MODELS_CSV, encoding="utf-8") as fh:
        return {r["model"]: int(r["model_params"]) for r in csv.DictReader(fh) if r["model_params"]}


def train_size(task_id: str) -> int | None:
    """English training examples of a task (published figures), None if not known here."""
    return TRAIN_SIZES.get(task_id) or _published_sizes().get(task_id)


@dataclass(frozen=True)
class Dims:
    """What the FLOP count needs of a model; layers/hidden/vocab are 0 when only a parameter count is known."""

    params: int  # non-embedding parameters (transformer layers)
    layers: int = 0
    hidden: int = 0
    vocab: int = 0

    @property
    def total_params(self) -> int:
        """Parameters an optimizer step updates (the token embeddings included)."""
        return self.params + self.vocab * self.hidden

    def flops_per_token(self, seq_len: int, mlm: bool = False, train: bool = True) -> float:
        """FLOPs per token at ``seq_len`` (training: forward and backward)."""
        per_token = self.params + 2 * self.layers * self.hidden * seq_len
        if mlm:
            per_token += self.hidden * self.hidden + self.vocab * self.hidden
        return (6.0 if train else 2.0) * per_token


def model_dims(model_id: str, build_test_assets: bool) -> Dims | None:
    """Dims of a model: from its config.json (local folder or cache) or public values, else models.csv's total
    parameters; a test model still to be built counts as 0 (all overhead); None if unknown."""
    config = config_values(model_id)
    if config is None:
        if build_test_assets:
            return Dims(0)
        total = _published_params().get(model_id) or _published_params().get(model_id.split("/")[-1])
        return Dims(total) if total else None
    hidden, layers = config.get("hidden_size"), config.get("num_hidden_layers")
    if not hidden or not layers:
        return None
    params = layers * (4 * hidden * hidden + 2 * hidden * config.get("intermediate_size", 4 * hidden))
    return Dims(params, layers, hidden, config.get("vocab_size", 0))


def bandwidth(device: str, cores: int = 2) -> float:
    """Sustained memory bandwidth (bytes/s) of the optimizer update on a device class."""
    return BANDWIDTH_CUDA if device.startswith("cuda") else BANDWIDTH_PER_CPU_CORE * max(1, cores)


def step_seconds(dims: Dims, flops: float, device: str, precision: str, cores: int = 2) -> float:
    """The estimate's time for one optimizer step of ``flops`` model FLOPs (compute, then the update)."""
    return flops / flops_rate(device, precision, cores) + dims.total_params * UPDATE_BYTES_PER_PARAM / bandwidth(
        device, cores)


def flops_rate(device: str, precision: str, cores: int = 2) -> float:
    """Sustained FLOP/s of a device class."""
    if device.startswith("cuda"):
        return FLOPS_CUDA.get(precision, FLOPS_CUDA["fp32"])
    return FLOPS_PER_CPU_CORE * max(1, cores)


def _steps(examples: int, batch: int, epochs: float, settings: PhaseSettings) -> int:
    steps = max(1, math.ceil(epochs * examples / (batch * settings.grad_accumulation)))
    return min(steps, settings.max_steps) if settings.max_steps else steps


def _sequences(data: TaskData) -> int:
    """Sequences an example is encoded into (one per choice for multiple choice)."""
    return (data.num_labels or 1) if data.head == "multiple_choice" else 1


def _intermediate_cost(config: RunConfig, spec: Intermediate, dims: Dims, unknown: list[str]
                       ) -> tuple[int, float, int]:
    """(examples processed, training FLOPs, optimizer steps) of one intermediate phase; a mixture's epoch and shares follow its
    sampling (sizes capped under proportional sampling), as in the pipeline."""
    settings = config.hyperparameters.intermediate
    tasks = list(spec.tasks) + ([MLM_TASK] if config.mlm_for(spec) and MLM_TASK not in spec.tasks else [])
    sizes: dict[str, int] = {}
    for task_id in tasks:
        data = intermediate_data(get_intermediate_task(task_id))
        size = (config.limits.mlm_examples or data.max_examples) if task_id == MLM_TASK else train_size(task_id)
        if size is None:
            unknown.append(f"{task_id} training set")
            continue
        limit = config.limits.max_train_examples if task_id != MLM_TASK else None
        sizes[task_id] = min(size, limit) if limit else size
    first = get_intermediate_task(spec.tasks[0])
    batch = settings.batch_size or first.batch_size
    epochs = settings.epochs or (settings.multi_task_epochs if len(spec.tasks) > 1 else first.epochs)
    if not sizes:
        return 0, 0.0, 0
    temperature = len(sizes) > 1 and spec.sampling.method == "temperature"
    cap = spec.sampling.cap if len(sizes) > 1 and not temperature else None
    shares = temperature_weights(sizes, spec.sampling.temperature) if temperature else (
        proportional_weights(sizes, cap or max(sizes.values())))
    steps = _steps(epoch_examples(sizes, cap), batch, epochs, settings)
    examples = steps * batch * settings.grad_accumulation
    flops = 0.0
    for task_id, share in shares.items():
        data = intermediate_data(get_intermediate_task(task_id))
        tokens = examples * share * _sequences(data) * data.max_seq_length
        flops += tokens * dims.flops_per_token(data.max_seq_length, mlm=task_id == MLM_TASK)
    return examples, flops, steps


def _target_cost(config: RunConfig, task_id: str, unknown: list[str]) -> tuple[int, int]:
    """(examples processed, optimizer steps) of one target phase (0 for retrieval tasks, which do not train)."""
    data = target_data(get_target_task(task_id))
    if data.head == "retrieval":
        return 0, 0
    settings, spec = config.hyperparameters.target, config.targets[task_id]
    size = train_size(task_id)
    limit = config.limits.max_train_examples
    if size is None and limit is None:
        unknown.append(f"{task_id} training set")
        return 0, 0
    size = min(size, limit) if size and limit else (size or limit)
    batch = spec.batch_size or settings.batch_size or data.batch_size or 32
    epochs = spec.epochs or settings.epochs or data.epochs or 1
    steps = _steps(size, batch, epochs, settings)
    return steps * batch * settings.grad_accumulation, steps


def estimate(config: RunConfig) -> Estimate:
    """The work a config implies and what it costs in FLOPs (see the module docstring for the model)."""
    unknown: list[str] = []
    runs = len(config.models) * len(config.seeds) * len(config.intermediate)
    per_seed_phases = sum(1 for spec in config.intermediate if not spec.is_baseline)
    known = [d for d in (model_dims(m, config.build_test_assets) for m in config.models) if d is not None]
    dims = max(known, key=lambda d: d.params) if len(known) == len(config.models) else None
    sized = dims or Dims(0)
    train_flops = 0.0
    train_examples = phases = steps = 0
    for spec in config.intermediate:
        if not spec.is_baseline:
            examples, flops, phase_steps = _intermediate_cost(config, spec, sized, unknown)
            train_examples += examples
            train_flops += flops
            steps += phase_steps
    eval_examples = evaluations = 0
    eval_flops = 0.0
    for task_id in config.targets:
        data = target_data(get_target_task(task_id))
        length, sequences = data.max_seq_length, _sequences(data)
        examples, phase_steps = (n * len(config.intermediate) for n in _target_cost(config, task_id, unknown))
        phases += len(config.intermediate) if examples else 0
        steps += phase_steps
        train_examples += examples
        train_flops += examples * sequences * length * sized.flops_per_token(length)
        n_languages = len(config.languages_of(task_id))
        per_language = config.limits.max_eval_examples or DEFAULT_EVAL_EXAMPLES
        evaluations += n_languages * len(config.intermediate)
        n_eval = per_language * n_languages * len(config.intermediate)
        eval_examples += n_eval
        eval_flops += n_eval * sequences * length * sized.flops_per_token(length, train=False)
    repeats = len(config.models) * len(config.seeds)
    return Estimate(
        runs=runs, train_phases=repeats * (phases + per_seed_phases), evaluations=repeats * evaluations,
        train_examples=repeats * train_examples, eval_examples=repeats * eval_examples,
        train_flops=repeats * train_flops, eval_flops=repeats * eval_flops,
        model_params=dims.params if dims is not None else None, unknown=sorted(set(unknown)),
        optimizer_bytes=repeats * steps * sized.total_params * UPDATE_BYTES_PER_PARAM,
    )

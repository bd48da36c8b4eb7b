"""The experiment config (YAML), validated with pydantic against the task registry.

A config is a grid: every model x intermediate condition x seed is one *run* (its own ``run_id``), and
each run trains and evaluates every listed target task. ``intermediate_language_sweep`` adds conditions on
nested language sets; ``perturbations`` evaluates every target language clean and perturbed;
``export_predictions`` writes predictions in the XTREME layout. Unknown fields, tasks and languages are errors,
reported with the field's location so a person can fix the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from pipeline.perturb import check_perturbation, get_perturbation, parse_perturbation
from pipeline.sweeps import ORDERS, nested_language_sets
from pipeline.tasks import (
    BASELINE,
    MULTI_PREFIX,
    get_intermediate_task,
    get_target_task,
    multi_task_id,
)

MLM_TASK = "mlm"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sampling(_Strict):
    """How a multi-task mixture picks its next batch (Raffel et al. 2019)."""

    method: Literal["proportional", "temperature"] = "proportional"
    cap: int = Field(2**17, gt=0, description="K of examples-proportional mixing (Phang et al.: 2^17)")
    temperature: float = Field(2.0, gt=0)


def _known_tasks(tasks: tuple[str, ...]) -> tuple[str, ...]:
    """``tasks`` sorted, each checked against the registry."""
    for task in tasks:
        get_intermediate_task(task)
    if len(set(tasks)) != len(tasks):
        raise ValueError(f"a task is listed twice in {list(tasks)}")
    return tuple(sorted(tasks))


def _check_available(tasks: tuple[str, ...], languages: tuple[str, ...]) -> None:
    """Every task has training data in every language (MLM samples its own languages)."""
    for task in tasks:
        available = get_intermediate_task(task).extra.get("languages", ["en"])
        unknown = [lang for lang in languages if lang not in available]
        if unknown and task != MLM_TASK:
            raise ValueError(f"intermediate task {task!r} has no data in {unknown}; it has {available}")


class Intermediate(_Strict):
    """One intermediate condition: no task (baseline), one task, or a mixture; optionally with MLM.

    With several languages each (task, language) pair is its own stream of the mixture, drawn by
    ``sampling`` (proportional to its size up to the cap, or by temperature).
    """

    tasks: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    mlm: bool | None = None
    sampling: Sampling = Sampling()

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, tasks: tuple[str, ...]) -> tuple[str, ...]:
        return _known_tasks(tasks)

    @field_validator("languages")
    @classmethod
    def _sorted_languages(cls, languages: tuple[str, ...]) -> tuple[str, ...]:
        if not languages:
            raise ValueError("must list at least one language")
        return tuple(sorted(set(languages)))

    @model_validator(mode="after")
    def _languages_exist(self) -> Intermediate:
        _check_available(self.tasks, self.languages)
        if not self.tasks and self.mlm:
            raise ValueError("MLM co-training needs an intermediate task; for MLM alone list tasks: [mlm]")
        return self

    @property
    def is_baseline(self) -> bool:
        return not self.tasks

    def store_id(self) -> str:
        """The ``intermediate_task`` value of this condition's result rows."""
        if not self.tasks:
            return BASELINE
        return self.tasks[0] if len(self.tasks) == 1 else multi_task_id(list(self.tasks))


class LanguageSweep(_Strict):
    """Intermediate conditions on nested language sets of size 1…``k_max`` (``pipeline.sweeps``), one task
    or mixture trained on each set, for the "how many intermediate languages" question."""

    tasks: tuple[str, ...]
    languages: tuple[str, ...] = Field(description="candidate languages; 'given' order keeps this order")
    order: Literal[ORDERS] = "given"  # type: ignore[valid-type]
    k_max: int | None = Field(None, gt=0, description="largest set (default: every language)")
    mlm: bool | None = None
    sampling: Sampling = Sampling()

    @field_validator("tasks", mode="before")
    @classmethod
    def _one_task(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, tasks: tuple[str, ...]) -> tuple[str, ...]:
        if not tasks:
            raise ValueError("must name the intermediate task(s) to train on each language set")
        return _known_tasks(tasks)

    @model_validator(mode="after")
    def _sets(self) -> LanguageSweep:
        _check_available(self.tasks, self.languages)
        self.language_sets()
        return self

    def language_sets(self) -> list[tuple[str, ...]]:
        """The nested sets, smallest first (a ValueError says why they cannot be made)."""
        return nested_language_sets(self.languages, self.order, self.k_max)

    def conditions(self) -> list[Intermediate]:
        """One intermediate condition per nested set."""
        return [Intermediate(tasks=self.tasks, languages=languages, mlm=self.mlm, sampling=self.sampling)
                for languages in self.language_sets()]


class Perturbations(_Strict):
    """Perturbed evaluation (``pipeline.perturb``): every target language is also evaluated under each spec.

    Inputs only: training never sees a perturbation. ``seed`` fixes the perturbed text (the same for every
    trained model, so drops are paired); ``lexicon`` is the bilingual word list code-switching draws from.
    """

    specs: tuple[str, ...]
    seed: int = 0
    lexicon: str | None = None

    @field_validator("specs")
    @classmethod
    def _specs(cls, specs: tuple[str, ...]) -> tuple[str, ...]:
        if not specs:
            raise ValueError("must list at least one perturbation, e.g. char_noise@0.1")
        normalised = []
        for text in specs:
            spec = check_perturbation(text)
            if spec.strength == 0:
                raise ValueError(f"{text!r} has strength 0: that is the clean evaluation, which always runs")
            normalised.append(str(spec))
        if len(set(normalised)) != len(normalised):
            raise ValueError(f"a perturbation is listed twice in {list(specs)}")
        return tuple(normalised)

    @model_validator(mode="after")
    def _lexicon_used(self) -> Perturbations:
        needs = [s for s in self.specs if get_perturbation(parse_perturbation(s).name).needs_lexicon]
        if needs and self.lexicon is None:
            raise ValueError(f"{', '.join(needs)} need(s) a bilingual lexicon: set perturbations.lexicon to a TSV file")
        if self.lexicon is not None and not needs:
            raise ValueError("a lexicon is given but no listed perturbation uses it (code_switch does)")
        return self


def _parse_intermediate(value: Any) -> Any:
    """``none`` / ``mnli`` / ``multi:a,b`` shorthands -> the full form."""
    if isinstance(value, str):
        if value == BASELINE:
            return {"tasks": ()}
        if value.startswith(MULTI_PREFIX):
            return {"tasks": tuple(p for p in value[len(MULTI_PREFIX):].split(",") if p)}
        return {"tasks": (value,)}
    return value


class Target(_Strict):
    """A target task: which languages to evaluate and optional overrides of its Table 4 settings."""

    languages: tuple[str, ...] | None = None
    batch_size: int | None = Field(None, gt=0)
    epochs: float | None = Field(None, gt=0)
    learning_rate: float | None = Field(None, gt=0)


class PhaseSettings(_Strict):
    """Optimisation of one phase; ``None`` means the registry's value for the task (Tables 3 and 4)."""

    learning_rate: float = Field(gt=0)
    learning_rate_with_mlm: float | None = Field(None, gt=0)
    batch_size: int | None = Field(None, gt=0)
    epochs: float | None = Field(None, gt=0)
    multi_task_epochs: float = Field(3, gt=0)
    max_steps: int | None = Field(None, gt=0)
    grad_accumulation: int = Field(1, gt=0)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    weight_decay: float = Field(0.01, ge=0)
    eval_every: int | None = Field(None, gt=0, description="dev evaluation interval in steps (default: per epoch)")
    patience: int | None = Field(None, gt=0, description="stop after this many dev evaluations without gain")
    dev_examples: int | None = Field(None, gt=0, description="first N English dev examples used for selection")


class IntermediateSettings(PhaseSettings):
    """Phang et al. 2020, A.1: lr 1e-5 (5e-6 with MLM), early stopping on the first 500 dev examples."""

    learning_rate: float = Field(1e-5, gt=0)
    learning_rate_with_mlm: float | None = Field(5e-6, gt=0)
    dev_examples: int | None = Field(500, gt=0)


class TargetSettings(PhaseSettings):
    """Phang et al. 2020, A.2: lr 3e-6, batch size and epochs of Table 4 (the registry's)."""

    learning_rate: float = Field(3e-6, gt=0)


class Hyperparameters(_Strict):
    """Per-phase settings; fields left out keep the paper's values."""

    intermediate: IntermediateSettings = IntermediateSettings()
    target: TargetSettings = TargetSettings()


class Limits(_Strict):
    """Caps for tiny runs: examples read per split (train / dev / evaluation per language)."""

    max_train_examples: int | None = Field(None, gt=0)
    max_eval_examples: int | None = Field(None, gt=0)
    mlm_examples: int | None = Field(None, gt=0, description="MLM lines (default: the registry's 2M)")


class Retrieval(_Strict):
    """Sentence embeddings for BUCC/Tatoeba: mean pooling over one hidden layer (0 = embeddings)."""

    layer: int | None = Field(None, ge=0, description="default: 14 of 24 (XLM-R Large) scaled to the model depth")
    max_length: int | None = Field(None, gt=0)
    margin_k: int = Field(4, gt=0)
    bucc_dir: str | None = Field(None, description="folder of the official BUCC 2018 files "
                                 "({src}-en.{sample,training}.{src,en,gold}): mine the full corpora as XTREME does")
    mining: Literal["auto", "exact", "ivf"] = Field(
        "auto", description="BUCC search: exact (torch, chunked; CUDA when present), ivf (faiss, approximate) "
        "or auto (exact on a GPU or for small corpora)")


class RunConfig(_Strict):
    """A grid of STILTs runs."""

    name: str | None = None
    models: tuple[str, ...] = ("xlm-roberta-large",)
    build_test_assets: bool = Field(False, description="build the tiny test model / fixture data if missing")
    intermediate: tuple[Intermediate, ...] = (Intermediate(),)
    intermediate_language_sweep: LanguageSweep | None = Field(
        None, description="adds one intermediate condition per nested language set (after those listed)")
    mlm_cotraining: bool = False
    mlm_languages: tuple[str, ...] | None = None
    eval_split: Literal["test", "dev"] = "test"
    benchmark: str | None = Field(None, description="default languages: this benchmark's list (e.g. xtreme)")
    targets: dict[str, Target]
    seeds: tuple[int, ...] = (1,)
    hyperparameters: Hyperparameters = Hyperparameters()
    limits: Limits = Limits()
    retrieval: Retrieval = Retrieval()
    eval_batch_size: int = Field(64, gt=0)
    torch_threads: int | None = Field(None, gt=0, description="CPU threads for torch (1 is fastest for tiny models)")
    data_dir: str | None = None
    data_dirs: dict[str, str] = {}
    output_dir: str = "data/cache/runs"
    perturbations: Perturbations | None = None
    export_predictions: bool = Field(False, description="write XTREME-format predictions under output_dir/exports")

    @field_validator("models", "seeds")
    @classmethod
    def _not_empty(cls, value: tuple) -> tuple:
        if not value:
            raise ValueError("must list at least one entry")
        if len(set(value)) != len(value):
            raise ValueError(f"has duplicates: {list(value)}")
        return value

    @field_validator("intermediate", mode="before")
    @classmethod
    def _shorthands(cls, value: Any) -> Any:
        if isinstance(value, (str, dict)):
            value = [value]
        return [_parse_intermediate(v) for v in value]

    @field_validator("perturbations", mode="before")
    @classmethod
    def _perturbation_list(cls, value: Any) -> Any:
        return {"specs": value} if isinstance(value, (list, tuple, str)) else value

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            value = {task: None for task in value}
        if not isinstance(value, dict) or not value:
            raise ValueError("must name at least one target task")
        return {task: spec or {} for task, spec in value.items()}

    @field_validator("targets")
    @classmethod
    def _targets_in_registry(cls, targets: dict[str, Target], info: ValidationInfo) -> dict[str, Target]:
        eval_split, benchmark = info.data.get("eval_split"), info.data.get("benchmark")
        for task_id, spec in targets.items():
            task = get_target_task(task_id)
            if not task.runnable or "data" not in task.extra:
                raise ValueError(f"target task {task_id!r} cannot be run by the pipeline yet")
            if benchmark is not None and benchmark not in task.languages_by_benchmark:
                raise ValueError(f"target task {task_id!r} is not part of benchmark {benchmark!r}")
            unknown = [lang for lang in spec.languages or () if lang not in task.languages]
            if unknown:
                raise ValueError(f"target task {task_id!r} has no language(s) {unknown}; it has {list(task.languages)}")
            if eval_split not in task.extra["data"]["eval"]["splits"]:
                raise ValueError(f"target task {task_id!r} has no {eval_split!r} split")
        return targets

    @model_validator(mode="after")
    def _check_cross_references(self) -> RunConfig:
        self._expand_sweep()
        if not self.intermediate:
            raise ValueError("intermediate: no intermediate condition to run (list one, or 'none' for the baseline)")
        known = set(self.targets) | {t for i in self.intermediate for t in i.tasks} | {MLM_TASK}
        for task_id in self.data_dirs:
            if task_id not in known:
                raise ValueError(f"data_dirs names {task_id!r}, which is not a task of this config")
        ids = [self._condition_key(i) for i in self.intermediate]
        if len(set(ids)) != len(ids):
            raise ValueError("an intermediate condition is listed twice")
        return self

    def _condition_key(self, intermediate: Intermediate) -> str:
        return intermediate.store_id() + str(self.mlm_for(intermediate)) + ",".join(intermediate.languages)

    def _expand_sweep(self) -> None:
        """Append the sweep's conditions that are not listed already, so every consumer of ``intermediate``
        (runner, estimates, job lists) sees the whole grid. Runs once, while the frozen model is validated."""
        if self.intermediate_language_sweep is None:
            return
        listed = {self._condition_key(i) for i in self.intermediate}
        added = [c for c in self.intermediate_language_sweep.conditions() if self._condition_key(c) not in listed]
        object.__setattr__(self, "intermediate", (*self.intermediate, *added))

    def mlm_for(self, intermediate: Intermediate) -> bool:
        """Whether ``intermediate`` co-trains with MLM (its own flag, else the config-wide default)."""
        if intermediate.is_baseline:
            return False
        return self.mlm_cotraining if intermediate.mlm is None else intermediate.mlm

    def run_id(self, model_id: str, intermediate: Intermediate, seed: int) -> str:
        """Content hash of this config narrowed to one (model, intermediate condition, seed) cell.

        Fields that do not change a cell's results (names, paths, the sweep that only generates conditions,
        prediction export) are left out, and so are ``perturbations`` and the BUCC corpus settings when unset,
        so configs written before they existed keep their run ids.
        """
        exclude: dict[str, Any] = dict.fromkeys(
            ("name", "output_dir", "build_test_assets", "models", "intermediate", "seeds", "mlm_cotraining",
             "intermediate_language_sweep", "export_predictions"), True)
        if self.perturbations is None:
            exclude["perturbations"] = True
        if self.retrieval.bucc_dir is None:  # ``mining`` only matters with the corpora
            exclude["retrieval"] = {"bucc_dir": True, "mining": True}
        payload = self.model_dump(mode="json", exclude=exclude)
        payload.update(model=model_id, intermediate=intermediate.model_dump(mode="json"),
                       mlm=self.mlm_for(intermediate), seed=seed)
        return content_hash(payload)

    def languages_of(self, task_id: str) -> tuple[str, ...]:
        """The languages to evaluate for ``task_id`` (default: the benchmark's list, else all of the task's)."""
        task = get_target_task(task_id)
        default = task.languages_by_benchmark[self.benchmark] if self.benchmark else task.languages
        return self.targets[task_id].languages or default


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML config (pydantic's ValidationError / yaml's YAMLError on a bad file)."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a run config is a YAML mapping")
    return RunConfig.model_validate(raw)


def content_hash(value: Any, length: int = 16) -> str:
    """Stable hash of a JSON-able value (dict keys sorted)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]

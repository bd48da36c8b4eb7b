"""Everything a run config will read, listed before anything is read: each model, and each (task, role,
language) source with the local mirror it would come from. Derived from the registry through
``pipeline.data.spec``, with the same per-language sources and split replacements the run uses."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.data.spec import Source, TaskData, intermediate_data, target_data
from pipeline.run.config import MLM_TASK, RunConfig
from pipeline.tasks import get_intermediate_task, get_target_task

#: The field a head's labels come from (checked against the registry's label names).
LABEL_FIELD = {"sentence_pair_classification": "label", "multiple_choice": "label", "token_tagging": "tags"}


@dataclass(frozen=True)
class DataNeed:
    """One split the run reads (``source`` None: the language has no data for the run's split)."""

    task: str
    role: str
    language: str
    source: Source | None
    data_root: str | None
    head: str
    label_names: tuple[str, ...] | None
    note: str = ""
    #: The run streams it (MLM corpora): checked, but nothing is downloaded.
    streamed: bool = False
    #: The ``prepare`` converter that builds this task's mirror from its original release.
    prepare: str | None = None

    def columns(self) -> list[str]:
        """Dataset columns the run reads (mapped fields, then the filter's column)."""
        if self.source is None:
            return []
        wanted = [c for col in self.source.columns.values() for c in ([col] if isinstance(col, str) else col)]
        return wanted + ([self.source.filter["column"]] if self.source.filter else [])

    def label_column(self) -> str | None:
        """The dataset column holding labels or tags, if the head has one."""
        field = LABEL_FIELD.get(self.head)
        column = self.source.columns.get(field) if self.source is not None and field else None
        return column if isinstance(column, str) else None


def _data_root(config: RunConfig, task_id: str) -> str | None:
    return config.data_dirs.get(task_id) or config.data_dir


def _needs(config: RunConfig, task_id: str, data: TaskData, role: str, sources: tuple[Source, ...],
           languages: tuple[str, ...], **extra: object) -> list[DataNeed]:
    root = _data_root(config, task_id)
    return [DataNeed(task_id, role, lang, data.resolve(source, lang), root, data.head, data.label_names,
                     **extra) for source in sources for lang in languages]


def _intermediate_needs(config: RunConfig) -> list[DataNeed]:
    needs: list[DataNeed] = []
    for spec in (s for s in config.intermediate if not s.is_baseline):
        for task_id in spec.tasks:
            if task_id == MLM_TASK:
                continue
            data = intermediate_data(get_intermediate_task(task_id))
            needs += _needs(config, task_id, data, "intermediate train", data.train, spec.languages,
                            prepare=data.prepare)
            needs += _needs(config, task_id, data, "intermediate dev", data.dev, spec.languages, prepare=data.prepare)
        if config.mlm_for(spec) or MLM_TASK in spec.tasks:
            data = intermediate_data(get_intermediate_task(MLM_TASK))
            languages = tuple(config.mlm_languages or data.languages)
            needs += _needs(config, MLM_TASK, data, "mlm corpus", data.train, languages, streamed=True)
    return needs


def official_bucc_tasks(config: RunConfig) -> list[str]:
    """Target tasks whose clean evaluation mines the official BUCC 2018 files of ``retrieval.bucc_dir``
    (BUCC-style tasks: a threshold tuned on another split; their only eval split is test)."""
    if config.retrieval.bucc_dir is None:
        return []
    return [t for t in config.targets if target_data(get_target_task(t)).threshold is not None]


def _target_needs(config: RunConfig) -> list[DataNeed]:
    needs: list[DataNeed] = []
    # Without perturbations the official files are all these tasks read: their hub pairs are never loaded.
    files_only = set(official_bucc_tasks(config)) if config.perturbations is None else set()
    for task_id in config.targets:
        data = target_data(get_target_task(task_id))
        if task_id in files_only:
            continue
        if data.head != "retrieval":
            needs += _needs(config, task_id, data, "target train", data.train, ("en",))
            needs += _needs(config, task_id, data, "target dev (selection)", data.dev, ("en",))
        root, split = _data_root(config, task_id), config.eval_split
        for lang in config.languages_of(task_id):
            override = data.language_source(lang)
            why = override.why if override is not None else ""
            source, note = data.eval_source(split, lang)
            needs.append(DataNeed(task_id, f"eval {split}", lang, source, root, data.head, data.label_names,
                                  "; ".join(n for n in (why, note) if n)))
            if data.threshold is not None:
                needs.append(DataNeed(task_id, "threshold", lang, data.resolve(data.threshold, lang), root,
                                      data.head, data.label_names, why))
    return needs


def data_needs(config: RunConfig) -> list[DataNeed]:
    """Every split ``config`` reads, each once (the same split read by several conditions is one need)."""
    unique: dict[tuple, DataNeed] = {}
    for need in _intermediate_needs(config) + _target_needs(config):
        described = need.source.describe() if need.source is not None else None
        unique.setdefault((need.task, need.role, need.language, described, need.data_root), need)
    return list(unique.values())

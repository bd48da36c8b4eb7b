"""Where a task's data lives and how to read it, derived from its registry entry.

The registry (``pipeline/tasks/*.yaml``) stays declarative; this module turns an entry's ``data`` block
into ``Source`` objects that the loader reads. Column maps name the dataset columns behind the fields a
head needs (``text_a``, ``label``, ``tokens``, ``context`` ...), so preprocessing never sees hub-specific
column names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.tasks import IntermediateTask, TargetTask

#: Dataset column behind each field a head reads, unless the registry says otherwise.
DEFAULT_COLUMNS: dict[str, dict[str, Any]] = {
    "sentence_pair_classification": {"text_a": "sentence1", "text_b": "sentence2", "label": "label"},
    "span_qa": {
        "id": "id", "context": "context", "question": "question",
        "answer_text": "answers.text", "answer_start": "answers.answer_start",
    },
    "token_tagging": {"tokens": "tokens", "tags": "tags"},
    "multiple_choice": {"context": "context", "choices": "choices", "label": "label"},
    "retrieval": {"source": "source_sentence", "target": "target_sentence"},
    "mlm": {"text": "text"},
}


@dataclass(frozen=True)
class LanguageSource:
    """Where some languages of a task live instead of the task's dataset (e.g. XTREME-R's extra languages,
    which ``google/xtreme`` lacks): the fields it replaces in a ``Source`` and why, for messages."""

    languages: tuple[str, ...]
    replaces: dict[str, Any]
    why: str = ""


class DataSpecError(ValueError):
    """A registry entry does not say how to read the data the run needs."""


@dataclass(frozen=True)
class Source:
    """One split of one dataset config, with its column map and an optional row filter.

    ``config`` and the filter value may hold ``{lang}``/``{code}`` templates until ``for_language``.
    """

    dataset: str
    config: str | None
    split: str
    columns: dict[str, Any]
    filter: dict[str, str] | None = None
    local_only: bool = False
    #: A corpus's own distribution format when it is not a hub dataset (``ccgbank``; see ``pipeline.data.load``).
    local_format: str | None = None

    def for_language(self, lang: str, codes: dict[str, str]) -> Source:
        """This source with its templates filled for ``lang`` (``{code}``: the task's own code for it)."""
        values = {"lang": lang, "code": codes.get(lang, lang)}
        config = self.config.format(**values) if self.config else self.config
        flt = {k: v.format(**values) for k, v in self.filter.items()} if self.filter else None
        return replace(self, config=config, filter=flt)

    def describe(self) -> str:
        """``dataset[/config]:split`` for messages and notes."""
        return f"{self.dataset}{'/' + self.config if self.config else ''}:{self.split}"


@dataclass(frozen=True)
class TaskData:
    """Everything the pipeline needs to read one task: training, English dev and evaluation sources."""

    task_id: str
    head: str
    max_seq_length: int
    batch_size: int | None
    epochs: int | None
    label_names: tuple[str, ...] | None
    num_labels: int | None
    train: tuple[Source, ...] = ()
    dev: tuple[Source, ...] = ()
    #: result-row split ('test'/'dev') -> source template (evaluation; target tasks only)
    eval: dict[str, Source] = field(default_factory=dict)
    #: BUCC: the split the similarity threshold is tuned on.
    threshold: Source | None = None
    lang_codes: dict[str, str] = field(default_factory=dict)
    #: Intermediate tasks only: languages the data exists in (``{lang}`` configs) and MLM sampling.
    languages: tuple[str, ...] = ("en",)
    language_alpha: float | None = None
    max_examples: int | None = None
    #: Target tasks: languages read from another dataset or only from a local mirror.
    language_sources: tuple[LanguageSource, ...] = ()
    #: Hub split -> {language: the split read in its place, or None: the language has no such data}.
    missing_splits: dict[str, dict[str, str | None]] = field(default_factory=dict)
    #: Intermediate tasks only: the ``prepare`` converter that builds a local mirror from the original release.
    prepare: str | None = None

    def language_source(self, lang: str) -> LanguageSource | None:
        """The override that holds ``lang``, if any."""
        return next((o for o in self.language_sources if lang in o.languages), None)

    def resolve(self, source: Source, lang: str) -> Source:
        """``source`` for ``lang``: moved to the dataset that holds the language, templates filled."""
        override = self.language_source(lang)
        if override is not None:
            source = replace(source, **override.replaces)
        return source.for_language(lang, self.lang_codes)

    def eval_source(self, split: str, lang: str) -> tuple[Source | None, str]:
        """The source of ``lang``'s ``split`` rows ('test'/'dev') and a note when it is not the declared one.

        A language without the declared hub split reads the registry's replacement (never the test split in
        place of a dev split) or, without one, is not evaluated on that split (None).
        """
        source = self.resolve(self.eval[split], lang)
        missing = self.missing_splits.get(source.split, {})
        if lang not in missing:
            return source, ""
        other = missing[lang]
        if other is None:
            return None, (f"{lang} has no {source.split} split in {source.dataset}: not evaluated on {split} "
                          "(its test split is never used in its place)")
        return replace(source, split=other), (f"{lang} has no {source.split} split in {source.dataset}: "
                                              f"{split} rows use its {other} split (unseen in zero-shot training)")


def _columns(head: str, *overrides: dict[str, Any] | None) -> dict[str, Any]:
    columns = dict(DEFAULT_COLUMNS[head])
    for override in overrides:
        columns.update(override or {})
    return columns


def _source(block: dict[str, Any], dataset: str | None, config: str | None, columns: dict[str, Any],
            split: str, what: str) -> Source:
    dataset = block.get("dataset", dataset)
    if not dataset:
        raise DataSpecError(f"{what}: the registry names no dataset")
    return Source(dataset=dataset, config=block.get("config", config), split=split, columns=columns,
                  filter=block.get("filter"))


def target_data(task: TargetTask) -> TaskData:
    """The data of target task ``task`` as the registry declares it."""
    data = task.extra.get("data")
    if data is None or task.head not in DEFAULT_COLUMNS:
        raise DataSpecError(f"target task {task.id!r} has no readable data declaration in the registry")
    train = dev = ()
    if "train" in data:
        block = data["train"]
        cols = _columns(task.head, data.get("columns"), block.get("columns"))
        train = (_source(block, task.train_dataset, task.train_config, cols, block["split"], f"{task.id} train"),)
    if "dev" in data:
        block = data["dev"]
        cols = _columns(task.head, data.get("columns"), data["eval"].get("columns"), block.get("columns"))
        dev_source = _source(block, task.dataset, task.config, cols, block["split"], f"{task.id} dev")
        dev = (dev_source.for_language("en", task.extra.get("lang_codes", {})),)
    block = data["eval"]
    eval_columns = _columns(task.head, data.get("columns"), block.get("columns"))
    evals = {name: _source(block, task.dataset, task.config, eval_columns, split, f"{task.id} {name}")
             for name, split in block["splits"].items()}
    threshold = None
    if "threshold_split" in block:
        threshold = _source(block, task.dataset, task.config, eval_columns, block["threshold_split"], task.id)
    labels = data.get("label_names")
    return TaskData(
        task_id=task.id, head=task.head, max_seq_length=task.max_seq_length,
        batch_size=task.extra.get("batch_size"), epochs=task.extra.get("epochs"),
        label_names=tuple(labels) if labels else None, num_labels=task.num_labels,
        train=train, dev=dev, eval=evals, threshold=threshold, lang_codes=dict(task.extra.get("lang_codes", {})),
        language_sources=tuple(_language_source(entry) for entry in data.get("language_sources", ())),
        missing_splits={split: dict(langs) for split, langs in data.get("missing_splits", {}).items()},
    )


def _language_source(entry: dict[str, Any]) -> LanguageSource:
    replaces = {k: entry[k] for k in ("dataset", "config", "local_only") if k in entry}
    return LanguageSource(tuple(entry["languages"]), replaces, entry.get("why", ""))


def intermediate_data(task: IntermediateTask) -> TaskData:
    """The data of intermediate task ``task``: its components' training and dev splits (templates kept)."""
    if task.head not in DEFAULT_COLUMNS:
        raise DataSpecError(f"intermediate task {task.id!r} has head {task.head!r}, which the pipeline cannot train")
    local = {"local_only": bool(task.extra.get("local_only")), "local_format": task.extra.get("local_format")}
    train, dev = [], []
    for component in task.components:
        cols = _columns(task.head, task.extra.get("columns"), component.get("columns"))
        for split in component["splits"]:
            train.append(replace(_source(component, None, None, cols, split, task.id), **local))
        for split in component.get("dev_splits", ()):
            dev.append(replace(_source(component, None, None, cols, split, task.id), **local))
    labels = task.extra.get("label_names")
    return TaskData(
        task_id=task.id, head=task.head, max_seq_length=task.max_seq_length, batch_size=task.batch_size,
        epochs=task.epochs, label_names=tuple(labels) if labels else None,
        num_labels=task.num_labels or task.num_choices, train=tuple(train), dev=tuple(dev),
        languages=tuple(task.extra.get("languages", ("en",))), language_alpha=task.extra.get("language_alpha"),
        max_examples=task.extra.get("max_examples"), prepare=task.extra.get("prepare"),
    )

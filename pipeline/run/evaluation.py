"""Zero-shot evaluation of one target task on each of its languages and evaluation conditions (clean, and
each perturbation), one cached file per (language, condition).

Scores are written as soon as a language is evaluated, next to the phase that produced the model, so a re-run
after a crash skips what is done (the store only receives complete tasks). With an export folder the
predictions are written in the XTREME layout too (with the inputs, so ``score --inputs`` keeps their examples),
and an example sink keeps them per example (``pipeline.examples``); a cached score whose files or examples are
missing is recomputed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm
from transformers import PreTrainedModel

from pipeline.data.spec import target_data
from pipeline.evaluate import retrieval
from pipeline.evaluate.outputs import predictions_and_references
from pipeline.examples import ExampleSink
from pipeline.examples.imported import INPUTS_FOLDER, write_inputs
from pipeline.metrics import METRICS_VERSION, score_task
from pipeline.perturb import CLEAN
from pipeline.run.artifacts import read_json, write_json
from pipeline.run.conditions import Condition
from pipeline.run.config import content_hash
from pipeline.run.context import RunContext, read_examples
from pipeline.run.export import condition_folder, is_exported
from pipeline.scoring.export import write_language
from pipeline.tasks import get_target_task

#: (predictions, references) of one language and condition, or None when no example is left to score.
Outputs = tuple[Any, Any] | None
#: Scores of a task: (language, perturbation) -> {"metrics", "n_examples", "source", "notes"}.
Scores = dict[tuple[str, str], dict]


def _cache_dir(ctx: RunContext, phase_key: str, task_id: str, protocol: dict | None = None) -> Path:
    """Where a model's scores on ``task_id`` are kept: beside its phase, keyed by what else they depend on."""
    depends = {"split": ctx.config.eval_split, "limit": ctx.config.limits.max_eval_examples,
               "data": ctx.data_root(task_id), "protocol": protocol, "metrics": METRICS_VERSION}
    return ctx.root / phase_key / "eval" / f"{task_id}-{content_hash(depends, 12)}"


def _evaluate_all(ctx: RunContext, task_id: str, cache_dir: Path, languages: Iterable[str],
                  conditions: Sequence[Condition], export: Path | None, sink: ExampleSink | None,
                  compute: Callable[[str, Condition], tuple[Outputs, dict, Any]]) -> Scores:
    """Every (language, condition) result: read from the cache, or computed (exported, kept per example) now."""
    data = target_data(get_target_task(task_id))
    split = ctx.config.eval_split
    cells = [(lang, condition) for lang in languages for condition in conditions]
    scores: Scores = {}
    for lang, condition in tqdm(cells, desc=f"evaluate {task_id}", leave=False):
        path = cache_dir / condition.cache_name(lang)
        folder = condition_folder(export, condition.perturbation) if export is not None else None
        result = read_json(path)
        if (result is None or (folder is not None and not is_exported(folder, task_id, split, lang))
                or (sink is not None and sink.needs(lang, condition.perturbation))):
            outputs, result, examples = compute(lang, condition)
            if folder is not None and outputs is not None:
                write_language(folder, task_id, lang, *outputs, split=split, label_names=data.label_names)
                write_inputs(folder / INPUTS_FOLDER, task_id, lang, examples, split)
            if sink is not None:
                sink.add(lang, condition.perturbation, examples if outputs is not None else None,
                         *(outputs or (None, None)))
            write_json(path, result)
        scores[(lang, condition.perturbation)] = result
    return scores


def _not_evaluated(note: str) -> tuple[Outputs, dict, Any]:
    """A language without data for the run's split: no metrics (so no rows), the reason in the log."""
    print(f"not evaluated: {note}", file=sys.stderr)
    return None, {"metrics": {}, "n_examples": 0, "source": "", "notes": note}, None


def _result(task_id: str, lang: str, outputs: Outputs, n_examples: int, source: str, notes: str) -> dict:
    """A cached result; no metrics when a perturbation left no example (noted, and no rows are written)."""
    if outputs is None:
        notes = "; ".join(n for n in (notes, "no example left to score") if n)
    metrics = score_task(task_id, *outputs, lang) if outputs is not None else {}
    return {"metrics": metrics, "n_examples": n_examples, "source": source, "notes": notes}


def evaluate_trained(ctx: RunContext, task_id: str, model: PreTrainedModel, phase_key: str,
                     languages: Iterable[str], conditions: Sequence[Condition], export: Path | None = None,
                     sink: ExampleSink | None = None) -> Scores:
    """Scores of a target-trained ``model`` on every language of ``task_id`` under every condition."""
    data = target_data(get_target_task(task_id))

    def compute(lang: str, condition: Condition) -> tuple[Outputs, dict, Any]:
        source, split_note = data.eval_source(ctx.config.eval_split, lang)
        if source is None:
            return _not_evaluated(split_note)
        examples = read_examples(ctx, data, [source], [lang], ctx.config.limits.max_eval_examples)
        examples, notes = condition.apply(examples, data.head, lang)
        outputs = predictions_and_references(
            data.head, model, ctx.tokenizer, examples, data.max_seq_length, data.label_names, data.num_labels,
            ctx.config.eval_batch_size, ctx.device) if len(examples) else None
        notes = "; ".join(n for n in (split_note, notes) if n)
        return outputs, _result(task_id, lang, outputs, len(examples), source.describe(), notes), examples

    return _evaluate_all(ctx, task_id, _cache_dir(ctx, phase_key, task_id), languages, conditions, export, sink,
                         compute)


def evaluate_retrieval(ctx: RunContext, task_id: str, model: PreTrainedModel, encoder_key: str,
                       languages: Iterable[str], conditions: Sequence[Condition], export: Path | None = None,
                       sink: ExampleSink | None = None) -> Scores:
    """Scores of the (intermediate-trained) encoder ``model`` on every language of retrieval task ``task_id``
    under every condition (perturbations change the non-English side of the test pairs; BUCC's threshold is
    tuned on clean dev pairs, as the system would be before it meets noisy input)."""
    data = target_data(get_target_task(task_id))
    settings = ctx.config.retrieval
    depth = model.config.num_hidden_layers
    layer = settings.layer if settings.layer is not None else retrieval.default_layer(depth)
    if layer > depth:
        raise ValueError(f"retrieval layer {layer} does not exist: the model has {depth} layers")
    max_length = settings.max_length or data.max_seq_length
    is_bucc = data.threshold is not None
    bucc_dir = settings.bucc_dir if is_bucc else None
    protocol = retrieval.protocol(layer, depth, max_length, settings.margin_k if is_bucc else None, bucc_dir)

    def embedded(examples):
        return tuple(retrieval.embed(model, ctx.tokenizer, examples[side], layer, max_length,
                                     ctx.config.eval_batch_size, ctx.device) for side in ("source", "target"))

    def read(source, lang: str):
        return read_examples(ctx, data, [source], [lang], ctx.config.limits.max_eval_examples)

    @cache
    def threshold_pairs(lang: str):
        return embedded(read(data.threshold, lang))

    def embed(sentences):
        return retrieval.embed(model, ctx.tokenizer, sentences, layer, max_length, ctx.config.eval_batch_size,
                               ctx.device)

    def compute(lang: str, condition: Condition) -> tuple[Outputs, dict, Any]:
        if bucc_dir and condition.perturbation == CLEAN and ctx.config.eval_split == "test":  # else: hub pairs
            outputs = retrieval.bucc_corpus_outputs(bucc_dir, lang, embed, settings.margin_k, settings.mining,
                                                    ctx.device.device)
            result = _result(task_id, lang, outputs, len(outputs[1]), f"BUCC 2018 files in {bucc_dir}", protocol)
            return outputs, result, None  # BUCC keeps no per-example records
        source, split_note = data.eval_source(ctx.config.eval_split, lang)
        if source is None:
            return _not_evaluated(split_note)
        examples, notes = condition.apply(read(source, lang), data.head, lang)
        test = embedded(examples)
        if is_bucc:
            outputs = retrieval.bucc_outputs(threshold_pairs(lang), test, settings.margin_k)
        else:
            outputs = retrieval.tatoeba_outputs(*test)
        notes = "; ".join(n for n in (protocol, split_note, notes) if n)
        return outputs, _result(task_id, lang, outputs, len(examples), source.describe(), notes), examples

    depends = {"layer": layer, "max_length": max_length, "k": settings.margin_k}
    if bucc_dir:
        depends.update(bucc_dir=bucc_dir, mining=settings.mining)
    cache_dir = _cache_dir(ctx, encoder_key, task_id, depends)
    return _evaluate_all(ctx, task_id, cache_dir, languages, conditions, export, sink, compute)

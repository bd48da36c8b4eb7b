"""Zero-shot evaluation of one target task on each of its languages, one cached file per language.

A language's scores are written as soon as it is evaluated, next to the phase that produced the model,
so a re-run after a crash skips the languages already done (the store only receives complete tasks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from tqdm.auto import tqdm
from transformers import PreTrainedModel

from pipeline.data.spec import target_data
from pipeline.evaluate import retrieval
from pipeline.evaluate.outputs import predictions_and_references
from pipeline.metrics import score_task
from pipeline.run.artifacts import read_json, write_json
from pipeline.run.config import content_hash
from pipeline.run.context import RunContext, read_examples
from pipeline.tasks import get_target_task


def _cached(path: Path, compute: Callable[[], dict]) -> dict:
    """``{"metrics": {name: value}, "n_examples", "source", "notes"}`` of one language, computed once."""
    result = read_json(path)
    if result is None:
        result = compute()
        write_json(path, result)
    return result


def _cache_dir(ctx: RunContext, phase_key: str, task_id: str, protocol: dict | None = None) -> Path:
    """Where a model's scores on ``task_id`` are kept: beside its phase, keyed by what else they depend on."""
    depends = {"split": ctx.config.eval_split, "limit": ctx.config.limits.max_eval_examples,
               "data": ctx.data_root(task_id), "protocol": protocol}
    return ctx.root / phase_key / "eval" / f"{task_id}-{content_hash(depends, 12)}"


def evaluate_trained(ctx: RunContext, task_id: str, model: PreTrainedModel, phase_key: str,
                     languages: Iterable[str]) -> dict[str, dict]:
    """Scores of a target-trained ``model`` on every language of ``task_id``."""
    data = target_data(get_target_task(task_id))
    template = data.eval[ctx.config.eval_split]

    def compute(lang: str) -> dict:
        examples = read_examples(ctx, data, [template], [lang], ctx.config.limits.max_eval_examples)
        predictions, references = predictions_and_references(
            data.head, model, ctx.tokenizer, examples, data.max_seq_length, data.label_names, data.num_labels,
            ctx.config.eval_batch_size, ctx.device)
        return {"metrics": score_task(task_id, predictions, references, lang), "n_examples": len(examples),
                "source": template.for_language(lang, data.lang_codes).describe(), "notes": ""}

    cache = _cache_dir(ctx, phase_key, task_id)
    return {lang: _cached(cache / f"{lang}.json", lambda lang=lang: compute(lang))
            for lang in tqdm(list(languages), desc=f"evaluate {task_id}", leave=False)}


def evaluate_retrieval(ctx: RunContext, task_id: str, model: PreTrainedModel, encoder_key: str,
                       languages: Iterable[str]) -> dict[str, dict]:
    """Scores of the (intermediate-trained) encoder ``model`` on every language of retrieval task ``task_id``."""
    data = target_data(get_target_task(task_id))
    settings = ctx.config.retrieval
    depth = model.config.num_hidden_layers
    layer = settings.layer if settings.layer is not None else retrieval.default_layer(depth)
    if layer > depth:
        raise ValueError(f"retrieval layer {layer} does not exist: the model has {depth} layers")
    max_length = settings.max_length or data.max_seq_length
    is_bucc = data.threshold is not None
    notes = retrieval.protocol(layer, depth, max_length, settings.margin_k if is_bucc else None)

    def embedded(source, lang: str):
        examples = read_examples(ctx, data, [source], [lang], ctx.config.limits.max_eval_examples)
        return tuple(retrieval.embed(model, ctx.tokenizer, examples[side], layer, max_length,
                                     ctx.config.eval_batch_size, ctx.device) for side in ("source", "target"))

    def compute(lang: str) -> dict:
        template = data.eval[ctx.config.eval_split]
        test = embedded(template, lang)
        if is_bucc:
            metrics = retrieval.bucc_scores(embedded(data.threshold, lang), test, lang, settings.margin_k)
        else:
            metrics = retrieval.tatoeba_scores(*test, lang)
        return {"metrics": metrics, "n_examples": len(test[0]),
                "source": template.for_language(lang, data.lang_codes).describe(), "notes": notes}

    cache = _cache_dir(ctx, encoder_key, task_id, {"layer": layer, "max_length": max_length, "k": settings.margin_k})
    return {lang: _cached(cache / f"{lang}.json", lambda lang=lang: compute(lang))
            for lang in tqdm(list(languages), desc=f"evaluate {task_id}", leave=False)}

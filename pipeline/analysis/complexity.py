"""Does a harder or richer intermediate task change the English vs non-English gap?

A *complexity profile* describes an intermediate task by what its data and registry entry say, never
by a typed-in judgement: training-set size, head (format), the size of its label or answer space,
mean input length in tokens, lexical diversity, and (when given) the English dev score it reaches.
``complexity_profile`` computes it from examples in the canonical columns of
``pipeline.data.spec.DEFAULT_COLUMNS``; ``published_profiles`` gives what Phang et al. printed
(``data/published/intermediate_task_stats.csv``, Table 1 training-set sizes) plus what the registry
knows, with the rest left empty rather than guessed.

The analysis correlates each numeric measure, across intermediate tasks, with two effects per task
(``task_effects``): the mean gain over target languages, and the change of the transfer gap
(English − mean over non-English languages; negative = the gap shrinks). With 5–9 tasks only rank
correlations make sense (Spearman and Kendall, with bootstrap intervals from
``pipeline.analysis.correlation``), corrected for the number of measures × effects (Holm).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline.analysis.correlation import correlate
from pipeline.analysis.gains import with_gains
from pipeline.analysis.stats import adjust_pvalues
from pipeline.data.features.qa import MAX_ANSWER_TOKENS
from pipeline.published.importer import TASK_STATS_CSV
from pipeline.tasks import BASELINE, BENCHMARK_AVERAGE, LANGUAGE_MEAN, IntermediateTask, get_intermediate_task, target_tasks

if TYPE_CHECKING:  # a type hint only: the dashboard's pages import this module without loading datasets
    from datasets import Dataset

#: Numeric measures a profile has (``head`` is categorical and only shown).
MEASURES: tuple[str, ...] = ("train_size", "label_space", "mean_input_tokens", "type_token_ratio",
                             "english_dev_score")
OUTCOMES: tuple[str, ...] = ("mean_gain", "gap_change")
MIN_TASKS = 4
RANK_METHODS = ("spearman", "kendall")

Example = dict[str, Any]
Tokenize = Callable[[str], Sequence[str]]


# --------------------------------------------------------------------------- profiles


def _texts(example: Example, head: str) -> list[str]:
    """The texts the model reads for one example, as separate pieces."""
    if head == "sentence_pair_classification":
        return [example["text_a"], example["text_b"]]
    if head == "span_qa":
        return [example["question"], example["context"]]
    if head == "token_tagging":
        return [" ".join(example["tokens"])]
    if head == "multiple_choice":
        return [example["context"], *example["choices"]]
    if head == "mlm":
        return [example["text"]]
    raise ValueError(f"no complexity profile for head {head!r}")


def _input_length(example: Example, head: str, tokenize: Tokenize) -> float:
    """Tokens the model reads per input: for multiple choice, the context plus the mean choice."""
    if head == "multiple_choice":
        choices = [len(tokenize(c)) for c in example["choices"]]
        return len(tokenize(example["context"])) + (float(np.mean(choices)) if choices else 0.0)
    return float(sum(len(tokenize(t)) for t in _texts(example, head)))


def _candidate_spans(context_tokens: int) -> int:
    """Answer spans the QA decoder chooses from: (start, end) with at most ``MAX_ANSWER_TOKENS`` tokens."""
    n, m = context_tokens, min(context_tokens, MAX_ANSWER_TOKENS)
    return n * m - m * (m - 1) // 2


def _label_space(task: IntermediateTask, sample: list[Example], rows: Sequence[Example] | Dataset, tokenize: Tokenize,
                 vocab_size: int | None) -> tuple[float, str]:
    """(size, what it counts) of the task's output space."""
    if task.head == "sentence_pair_classification":
        return float(task.num_labels or len({r["label"] for r in rows})), "classes"
    if task.head == "multiple_choice":
        return float(task.num_choices or np.mean([len(r["choices"]) for r in sample])), "choices"
    if task.head == "token_tagging":
        return float(len({tag for r in rows for tag in r["tags"]})), "tags in the training data"
    if task.head == "span_qa":
        spans = [_candidate_spans(len(tokenize(r["context"]))) for r in sample]
        return float(np.mean(spans)), f"mean candidate answer spans (≤ {MAX_ANSWER_TOKENS} tokens)"
    return (float(vocab_size), "vocabulary") if vocab_size else (np.nan, "vocabulary (no tokenizer given)")


def complexity_profile(
    task: IntermediateTask | str,
    examples: Sequence[Example] | Dataset,
    tokenizer: Any | None = None,
    english_dev_score: float | None = None,
    sample_size: int = 2000,
    ttr_tokens: int = 10_000,
    seed: int = 0,
) -> dict[str, Any]:
    """The complexity profile of ``task`` from its training ``examples`` (a list or a ``datasets.Dataset``).

    Length and diversity are measured on a seeded sample of ``sample_size`` examples, in the tokens of
    ``tokenizer`` (a Hugging Face tokenizer or any ``str -> list`` function; whitespace words without
    one). The type/token ratio depends on how many tokens it is measured on, so it is taken over the
    first ``ttr_tokens`` tokens of the sample; ``ttr_tokens_used`` says how many there were, and only
    profiles measured on the same number are comparable.
    """
    task = get_intermediate_task(task) if isinstance(task, str) else task
    rows = examples  # a Dataset is indexed like a list: only the sample is materialised
    if len(rows) == 0:
        raise ValueError(f"no training examples for {task.id}: a profile needs data")
    tokenize: Tokenize = tokenizer.tokenize if hasattr(tokenizer, "tokenize") else (tokenizer or str.split)
    if tokenizer is None:
        unit = "whitespace words"
    else:
        unit = getattr(tokenizer, "name_or_path", None) or getattr(tokenizer, "__name__", type(tokenizer).__name__)
    picked = sorted(random.Random(seed).sample(range(len(rows)), min(sample_size, len(rows))))
    sample = [rows[i] for i in picked]
    stream: list[str] = []
    for example in sample:
        for text in _texts(example, task.head):
            stream.extend(tokenize(text))
        if len(stream) >= ttr_tokens:
            break
    window = stream[:ttr_tokens]
    label_space, label_kind = _label_space(task, sample, rows, tokenize, getattr(tokenizer, "vocab_size", None))
    return {
        "intermediate_task": task.id,
        "head": task.head,
        "train_size": len(rows),
        "label_space": label_space,
        "label_space_counts": label_kind,
        "mean_input_tokens": float(np.mean([_input_length(e, task.head, tokenize) for e in sample])),
        "type_token_ratio": len(set(window)) / len(window) if window else np.nan,
        "ttr_tokens_used": len(window),
        "tokens": unit,
        "english_dev_score": np.nan if english_dev_score is None else float(english_dev_score),
        "sample_size": len(sample),
        "source": "data",
    }


def published_profiles(path: str | None = None) -> pd.DataFrame:
    """Profiles of the tasks in Phang et al.'s Table 1: published sizes, the registry's head and label space.

    Measures that need the data (input length, diversity) or a run (English dev score) are NaN.
    """
    stats = pd.read_csv(path or TASK_STATS_CSV)
    rows = []
    for record in stats.to_dict("records"):
        task = get_intermediate_task(record["intermediate_task"])
        space, counts = ((task.num_labels, "classes") if task.num_labels else
                         (task.num_choices, "choices") if task.num_choices else (np.nan, "needs the data"))
        rows.append({"intermediate_task": task.id, "head": task.head, "train_size": int(record["train_size"]),
                     "label_space": float(space), "label_space_counts": counts, "mean_input_tokens": np.nan,
                     "type_token_ratio": np.nan, "ttr_tokens_used": 0, "tokens": None, "english_dev_score": np.nan,
                     "sample_size": 0, "source": f"published ({record['source']}) + registry"})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- effects


def _group_means(values: pd.Series, group: pd.Series) -> pd.Series:
    """Per group id, what ``Series.mean`` gives for its values in row order, bit for bit.

    groupby's mean sums with compensation and can differ from ``Series.mean`` (numpy's pairwise sum)
    in the last bit; summing the groups of one size as the rows of a matrix keeps numpy's sum and
    costs one reduction per distinct group size instead of one per group.
    """
    order = np.argsort(group.to_numpy(), kind="stable")
    x = values.to_numpy(dtype=float)[order]
    ids, starts, counts = np.unique(group.to_numpy()[order], return_index=True, return_counts=True)
    means = np.empty(len(ids))
    for n in np.unique(counts):
        which = np.flatnonzero(counts == n)
        means[which] = x[starts[which, None] + np.arange(n)].sum(axis=1) / n
    return pd.Series(means, index=ids)


def task_effects(results: pd.DataFrame, source_language: str = "en") -> pd.DataFrame:
    """Per intermediate task and condition: the mean gain over target languages and the gap change.

    Only each target task's primary metric (the benchmark average's ``score``) is used.
    ``mean_gain``: mean over the non-source languages of value − baseline (a published mean over
    languages stands for them when there are no per-language rows). ``gap_change``: the source
    language's gain − ``mean_gain``, i.e. (English − mean non-English) with intermediate training
    minus the same without; it needs per-language rows and is NaN otherwise. ``n_languages``: how
    many languages the mean covers (0 for a published mean).
    """
    primary = {tid: t.primary for tid, t in target_tasks().items()} | {BENCHMARK_AVERAGE: "score"}
    keys = ["model", "intermediate_task", "mlm_cotraining", "target_task", "metric", "split", "setting",
            "perturbation", "source_id"]
    # The only columns read: filtering 10^6 rows costs per column kept.
    used = results[[*keys, "language", "run_id", "baseline_run_id", "seed", "value"]]
    gains = with_gains(used[used["metric"] == used["target_task"].map(primary)])
    gains = gains[(gains["intermediate_task"] != BASELINE) & gains["gain"].notna()]
    columns = [*keys, "mean_gain", "gap_change", "n_languages"]
    if gains.empty:
        return pd.DataFrame(columns=columns)
    # Per group and language, not per row: 10^6 rows fall into a few thousand conditions.
    grouped = gains.groupby(keys, dropna=False, sort=True)
    group = grouped.ngroup().rename("_group")
    languages = gains["language"] != LANGUAGE_MEAN
    per_language = gains.loc[languages, "gain"].groupby([group[languages], gains.loc[languages, "language"]]).mean()
    per_language = per_language.reset_index()
    is_source = per_language["language"] == source_language
    others = per_language[~is_source]
    ids = pd.RangeIndex(grouped.ngroups)
    n_languages = others["_group"].value_counts().reindex(ids, fill_value=0)
    mean_gain = _group_means(others["gain"], others["_group"]).reindex(ids).where(
        n_languages > 0, _group_means(gains["gain"], group))
    gap_change = (per_language[is_source].set_index("_group")["gain"].reindex(ids) - mean_gain).where(n_languages > 0)
    first_rows = np.unique(group.to_numpy(), return_index=True)[1]
    return gains[keys].iloc[first_rows].reset_index(drop=True).assign(
        mean_gain=mean_gain.to_numpy(), gap_change=gap_change.to_numpy(), n_languages=n_languages.to_numpy())


# --------------------------------------------------------------------------- correlations


def _refusal(x: np.ndarray, y: np.ndarray, measure: str, outcome: str) -> str | None:
    if not np.isfinite(y).any():
        return (f"no task has a {outcome}" + (
            ": it needs English and non-English scores per language from each run and its baseline "
            "(means over languages, like Phang et al.'s Table 2, have none)" if outcome == "gap_change" else ""))
    if not np.isfinite(x).any():
        return f"no task has a {measure} (it needs the task's data or a run)"
    both = np.isfinite(x) & np.isfinite(y)
    if both.sum() < MIN_TASKS:
        return (f"only {int(both.sum())} intermediate task(s) have both a {measure} and a {outcome}; "
                f"a rank correlation needs at least {MIN_TASKS}")
    for values, name in ((x[both], measure), (y[both], outcome)):
        if np.ptp(values) == 0:
            return f"the {name} is the same for all {int(both.sum())} tasks; nothing to correlate"
    return None


def complexity_correlations(
    profiles: pd.DataFrame,
    effects: pd.DataFrame,
    measures: Sequence[str] = MEASURES,
    outcomes: Sequence[str] = OUTCOMES,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    correction: str = "holm",
) -> pd.DataFrame:
    """Rank correlations of each measure with each outcome across intermediate tasks, or why there are none.

    ``profiles``: one row per ``intermediate_task`` with the measure columns; ``effects``: one row
    per ``intermediate_task`` (one condition: pick the model, target task … first) with the outcomes.
    Columns: measure, outcome, method, coefficient, ci_low, ci_high, p_value, p_adjusted (over all
    measure × outcome tests of the method), n, refused.
    """
    duplicated = effects["intermediate_task"].duplicated()
    if duplicated.any():
        raise ValueError("effects has several rows for "
                         f"{', '.join(effects.loc[duplicated, 'intermediate_task'].unique())}: select one condition")
    both = profiles.merge(effects, on="intermediate_task", how="inner")
    records = []
    for measure in measures:
        for outcome in outcomes:
            x = both[measure].to_numpy(dtype=float) if measure in both else np.full(len(both), np.nan)
            y = both[outcome].to_numpy(dtype=float) if outcome in both else np.full(len(both), np.nan)
            reason = _refusal(x, y, measure, outcome)
            result = None if reason else correlate(x, y, confidence=confidence, n_boot=n_boot, seed=seed,
                                                   names=(measure, outcome))
            if result is None or not result.ok:
                records.append({"measure": measure, "outcome": outcome,
                                "n": int((np.isfinite(x) & np.isfinite(y)).sum()),
                                "refused": reason or result.refused})
                continue
            ranks = result.table[result.table["method"].isin(RANK_METHODS)]
            records.extend({"measure": measure, "outcome": outcome, **r, "refused": None}
                           for r in ranks.to_dict("records"))
    columns = ["measure", "outcome", "method", "coefficient", "ci_low", "ci_high", "p_value", "ci_method", "n",
               "refused"]
    table = pd.DataFrame(records, columns=columns)
    table["p_adjusted"] = np.nan
    for _, part in table.dropna(subset=["method"]).groupby("method"):
        table.loc[part.index, "p_adjusted"] = adjust_pvalues(part["p_value"].to_numpy(dtype=float), correction)
    return table

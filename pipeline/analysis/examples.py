"""Example-level comparison of two conditions: which examples flipped, and where (in which buckets) the
gain sits, with intervals.

Two conditions are two stored prediction sets on the same examples: a run against its baseline, a model
against another, or clean against perturbed inputs of one run. Condition A is compared with condition B
(the reference): a gain is A − B, *wrong→right* an example B got wrong and A right.

Buckets (ExplainaBoard's attributes, plus script and perturbation), per task family:

* classification (XNLI, PAWS-X) and multiple choice (XCOPA): input length (``tokens`` of both texts,
  ``words``), gold ``label``, ``script``, ``perturbation``;
* tagging (PAN-X, UD-POS): sentence length, ``script``, ``perturbation``; PAN-X also the gold entities'
  types (``entity_types``, e.g. ``LOC+PER``), the longest entity (``entity_length``) and ``n_entities``;
  the unit is the sentence (so flips stay defined), and F1 over a bucket is the micro F1 of its sentences;
* QA (XQuAD, MLQA, TyDiQA): question length, gold answer length (``answer_words``), ``script``, ``perturbation``;
* Tatoeba: the English query's length, ``script``, ``perturbation``. BUCC has no per-example unit.

Numeric attributes are cut at quantiles of the pooled values (so every language of a heatmap shares the
buckets); categories are their own buckets. Per bucket: each condition's score and the gain with percentile
bootstrap intervals that resample examples (the same examples for both conditions: a paired interval), the
flip counts and McNemar's test.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from pipeline.analysis.stats.resampling import seeded_rng
from pipeline.tasks import get_target_task

#: Flip categories, in display order: (A right, B right) of each.
FLIPS = {"wrong→right": (True, False), "right→wrong": (False, True), "both right": (True, True),
         "both wrong": (False, False)}
#: Attributes bucketed by quantiles; every other attribute is a category.
NUMERIC_ATTRIBUTES = ("tokens", "words", "answer_words", "entity_length", "n_entities")
CATEGORICAL_ATTRIBUTES = ("label", "script", "entity_types", "perturbation")
ATTRIBUTES = (*NUMERIC_ATTRIBUTES, *CATEGORICAL_ATTRIBUTES)
#: Below this many discordant pairs McNemar's test is the exact binomial test (else chi-square, corrected).
EXACT_BELOW = 25
#: Columns of each condition in a paired frame (suffixed ``_a`` / ``_b``).
CONDITION_COLUMNS = ("prediction", "correct", "score", "tp", "fp", "fn", "perturbation", "text")
_KEYS = ["language", "key"]
_MAX_GATHER = 4_000_000  # resampling counts drawn at once (bounds memory at ~32 MB)


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of paired right/wrong outcomes: only the discordant pairs count."""

    wrong_to_right: int
    right_to_wrong: int
    statistic: float
    p_value: float
    method: str


def mcnemar(wrong_to_right: int, right_to_wrong: int) -> McNemar:
    """Two-sided McNemar test: exact binomial (b of b+c at p=1/2) below ``EXACT_BELOW`` discordant pairs,
    else the chi-square statistic with Edwards' continuity correction on one degree of freedom.

    The exact tail is summed in integers (exact, then rounded once), the chi-square tail comes from
    ``scipy.special`` (what ``scipy.stats.chi2.sf`` calls): importing ``scipy.stats`` (~0.7 s) was half of
    the Examples page's first comparison."""
    from scipy.special import chdtrc  # here: commands that never test should not pay for importing scipy

    b, c = int(wrong_to_right), int(right_to_wrong)
    n = b + c
    if n == 0:
        return McNemar(b, c, 0.0, 1.0, "no discordant pairs")
    if n < EXACT_BELOW:
        tail = Fraction(sum(math.comb(n, i) for i in range(min(b, c) + 1)), 2**n)
        return McNemar(b, c, float(min(b, c)), float(min(Fraction(1), 2 * tail)), "exact binomial")
    statistic = (abs(b - c) - 1.0) ** 2 / n
    return McNemar(b, c, statistic, float(chdtrc(1, statistic)), "chi-square, continuity-corrected")


def is_micro_f1(frame: pd.DataFrame) -> bool:
    """Whether the rows are tagged sentences (their score is micro F1 over entity counts)."""
    return "tp" in frame.columns and frame["tp"].notna().any()


def metric_name(task_id: str) -> str:
    """The task's primary metric (what a bucket's score is): accuracy, or F1 (entity F1, QA token F1)."""
    return get_target_task(task_id).primary


def paired_side(paired: pd.DataFrame, side: str) -> pd.DataFrame:
    """One side's outcome columns of a paired frame under their plain names (``correct``, ``score``, ``tp``...)."""
    columns = {f"{c}_{side}": c for c in ("correct", "score", "tp", "fp", "fn") if f"{c}_{side}" in paired.columns}
    return paired[list(columns)].rename(columns=columns)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 100.0 * 2 * tp / np.maximum(denominator, 1), 0.0)


def language_scores(records: pd.DataFrame, task_id: str) -> pd.DataFrame:
    """Per (language, perturbation): n and the task's metrics recomputed from its stored examples (accuracy; F1
    and EM for QA; micro F1, precision and recall for tagging), on the store's 0–100 scale."""
    is_qa = get_target_task(task_id).head == "span_qa"
    rows = []
    for (language, perturbation), group in records.groupby(["language", "perturbation"], sort=True):
        scores = {"language": language, "perturbation": perturbation, "n": len(group)}
        if is_micro_f1(group):
            tp, fp, fn = group[["tp", "fp", "fn"]].sum().to_numpy(float)
            scores.update(f1=float(_f1(tp, fp, fn)), precision=100.0 * tp / (tp + fp) if tp + fp else 0.0,
                          recall=100.0 * tp / (tp + fn) if tp + fn else 0.0)
        elif is_qa:
            scores.update(f1=100.0 * group["score"].mean(), em=100.0 * group["correct"].mean())
        else:
            scores["accuracy"] = 100.0 * group["correct"].mean()
        rows.append(scores)
    return pd.DataFrame(rows)


def pair_conditions(a: pd.DataFrame, b: pd.DataFrame, by_perturbation: bool = False,
                    lined_up: bool = False) -> pd.DataFrame:
    """The examples both conditions scored, one row each: attributes and gold of B (the reference), each
    condition's prediction, outcome and text as ``<column>_a`` / ``<column>_b``, and the ``flip``.

    ``by_perturbation`` pairs an example only with itself under the same perturbation (two runs compared under
    each of their conditions); otherwise the key alone pairs (e.g. clean against one perturbation).
    ``lined_up``: the caller knows the rows of ``a`` and ``b`` are the same examples in the same order (they
    may then come without keys).
    """
    keys = [k for k in ([*_KEYS, "perturbation"] if by_perturbation else _KEYS) if k in a.columns or not lined_up]
    own = [c for c in CONDITION_COLUMNS if c in a.columns and c not in keys]
    left = a[[*keys, *own]].rename(columns={c: f"{c}_a" for c in own})
    right = b.rename(columns={c: f"{c}_b" for c in own})
    if lined_up or _same_rows(a, b):  # two runs on the same data: rows already line up (no join over 10^5 keys)
        paired = pd.concat([right.reset_index(drop=True), left.drop(columns=keys).reset_index(drop=True)], axis=1)
    else:
        paired = right.merge(left, on=keys, how="inner", validate="one_to_one")
    if not by_perturbation:
        paired["perturbation"] = paired["perturbation_b"]
    paired["flip"] = flip_labels(paired["correct_a"].to_numpy(bool), paired["correct_b"].to_numpy(bool))
    return paired


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether ``a`` and ``b`` hold the same examples under the same conditions in the same order (a store
    file never holds one twice)."""
    return len(a) == len(b) and all(a[k].reset_index(drop=True).equals(b[k].reset_index(drop=True))
                                    for k in (*_KEYS, "perturbation"))


def flip_labels(correct_a: np.ndarray, correct_b: np.ndarray) -> pd.Categorical:
    """The flip category of each paired example."""
    codes = np.select([correct_a & ~correct_b, ~correct_a & correct_b, correct_a & correct_b], [0, 1, 2], 3)
    return pd.Categorical.from_codes(codes, categories=list(FLIPS))


def flip_table(paired: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of the four flip categories."""
    counts = paired["flip"].value_counts().reindex(list(FLIPS), fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame({"flip": list(FLIPS), "n": counts.to_numpy(int),
                         "share": counts.to_numpy(float) / total * 100.0 if total else np.nan})


def bucket_edges(values: pd.Series, n_buckets: int = 4) -> list[float]:
    """Upper edges of quantile buckets of a numeric attribute (ties merged, so maybe fewer buckets)."""
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(float)
    if not len(numbers):
        return []
    quantiles = np.quantile(numbers, np.arange(1, n_buckets) / n_buckets, method="lower")
    return sorted({float(q) for q in quantiles if q < numbers.max()})


def _interval_labels(edges: Sequence[float]) -> list[str]:
    def number(x: float) -> str:
        return f"{x:g}"

    if not edges:
        return ["all"]
    labels = [f"≤{number(edges[0])}"]
    labels += [f"{number(lo)}<…≤{number(hi)}" for lo, hi in zip(edges[:-1], edges[1:])]
    return [*labels, f">{number(edges[-1])}"]


def bucket_labels(values: pd.Series, attribute: str, edges: Sequence[float] | None = None) -> pd.Categorical:
    """The bucket of each value: its quantile interval (numeric attributes; ``edges`` from ``bucket_edges``
    unless given) or the value itself. Missing values fall in ``n/a``."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"unknown bucket attribute {attribute!r}; one of {', '.join(ATTRIBUTES)}")
    if attribute in NUMERIC_ATTRIBUTES:
        edges = list(bucket_edges(values) if edges is None else edges)
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
        labels = _interval_labels(edges)
        codes = np.where(np.isnan(numbers), len(labels), np.searchsorted(np.asarray(edges, float), numbers))
        return pd.Categorical.from_codes(codes.astype(int), categories=[*labels, "n/a"])
    text = values.astype("string").fillna("n/a")
    return pd.Categorical(text, categories=sorted(text.unique()))


def _statistic(frame: pd.DataFrame, side: str, micro: bool) -> np.ndarray:
    """(n, k) per-example statistics of one side: entity counts (tp, fp, fn) or the score."""
    columns = ("tp", "fp", "fn") if micro else ("score",)
    return np.column_stack([frame[f"{c}_{side}"].to_numpy(float) for c in columns])


def _resampling_counts(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """(size, n) bootstrap counts: how often each of n examples is drawn in each of ``size`` resamples (a
    bincount of uniform draws: far faster than a multinomial over thousands of categories). Drawn a resample at a
    time: the same numbers as one (size, n) draw, without its memory (fresh memory is slow to touch)."""
    counts = np.empty((size, n), np.float32)
    for row in counts:
        row[:] = np.bincount(rng.integers(0, n, size=n), minlength=n)
    return counts


def _bucket_sums(stats: np.ndarray, members: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(replicates, groups, k + 1): each group's summed statistics and its size under each weighting."""
    n, k = stats.shape
    per_group = np.concatenate([stats[:, None, :] * members[:, :, None], members[:, :, None]], axis=2)
    sums = weights @ per_group.reshape(n, -1).astype(weights.dtype)  # float32 resamples: exact counts, fast
    return sums.astype(float).reshape(len(weights), members.shape[1], k + 1)


def _scores_of(sums: np.ndarray, micro: bool) -> np.ndarray:
    """Scores (0–100) from ``_bucket_sums`` (NaN for a group a resample left empty)."""
    if micro:
        return np.where(sums[..., -1] > 0, _f1(sums[..., 0], sums[..., 1], sums[..., 2]), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * sums[..., 0] / sums[..., -1]


def bucket_scores(paired: pd.DataFrame, attribute: str, edges: Sequence[float] | None = None,
                  n_boot: int = 1000, confidence: float = 0.95, rng_seed: int = 0) -> pd.DataFrame:
    """Per bucket of ``attribute`` (and ``all``): n, both conditions' scores and the gain A − B with paired
    percentile bootstrap intervals, the flip counts and McNemar's p-value.

    Each resample draws the language's examples with replacement (the same draw for both conditions) and
    scores every bucket on the examples of it that were drawn, so one draw serves all buckets.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    micro = is_micro_f1(paired_side(paired, "a"))
    buckets = bucket_labels(paired[attribute], attribute, edges)
    present = [c for c in buckets.categories if (buckets == c).any()]
    members = np.column_stack([*(np.asarray(buckets == c) for c in present), np.ones(len(paired), bool)])
    members = members.astype(float)
    a, b = _statistic(paired, "a", micro), _statistic(paired, "b", micro)
    k, n, groups = a.shape[1], len(paired), members.shape[1]
    both = np.hstack([a, b])
    rng = seeded_rng(rng_seed, n)
    step = max(1, _MAX_GATHER // max(n, 1))
    draws = [_bucket_sums(both, members, _resampling_counts(n, min(step, n_boot - start), rng))
             for start in range(0, n_boot, step)] if n else []
    replicates = np.concatenate(draws) if draws else np.full((1, groups, 2 * k + 1), np.nan)
    observed = _bucket_sums(both, members, np.ones((1, n)))[0]

    def side(sums: np.ndarray, part: slice) -> np.ndarray:
        return _scores_of(np.concatenate([sums[..., part], sums[..., -1:]], axis=-1), micro)

    reps_a, reps_b = side(replicates, slice(0, k)), side(replicates, slice(k, 2 * k))
    score_a, score_b = side(observed, slice(0, k)), side(observed, slice(k, 2 * k))
    alpha = (1 - confidence) / 2
    with warnings.catch_warnings():  # a bucket no resample kept has no interval (NaN), not an error
        warnings.simplefilter("ignore", RuntimeWarning)
        interval_a, interval_b, interval_gain = (np.nanquantile(x, [alpha, 1 - alpha], axis=0)
                                                 for x in (reps_a, reps_b, reps_a - reps_b))
    flips = members.T @ np.eye(len(FLIPS))[np.asarray(paired["flip"].cat.codes)] if n else np.zeros((groups, 4))
    rows = []
    for j, name in enumerate([*map(str, present), "all"]):
        test = mcnemar(flips[j, 0], flips[j, 1])  # FLIPS order: wrong→right, right→wrong, ...
        rows.append({
            "bucket": name, "n": int(members[:, j].sum()), "score_a": float(score_a[j]),
            "a_low": float(interval_a[0, j]), "a_high": float(interval_a[1, j]), "score_b": float(score_b[j]),
            "b_low": float(interval_b[0, j]), "b_high": float(interval_b[1, j]), "gain": float(score_a[j] - score_b[j]),
            "gain_low": float(interval_gain[0, j]), "gain_high": float(interval_gain[1, j]),
            "wrong_to_right": test.wrong_to_right, "right_to_wrong": test.right_to_wrong, "p_value": test.p_value,
        })
    return pd.DataFrame(rows)


def gain_by_language(paired: pd.DataFrame, attribute: str, edges: Sequence[float] | None = None) -> pd.DataFrame:
    """Long table (language, bucket, n, score_a, score_b, gain) of point estimates: the heatmap's cells.

    Numeric buckets are cut at quantiles of every language's values pooled, so all languages share them. The
    cells are grouped on one integer per (language, bucket), never on the language strings: at 10^5–10^6 rows
    that was most of the time (the sums are pandas' compensated ones, as before, in the same row order).
    """
    micro = is_micro_f1(paired_side(paired, "a"))
    buckets = bucket_labels(paired[attribute], attribute, edges)
    language_codes, languages = pd.factorize(paired["language"], sort=True)
    cell = language_codes.astype(np.int64) * len(buckets.categories) + buckets.codes
    columns = [f"{c}_{s}" for s in ("a", "b") for c in (("tp", "fp", "fn") if micro else ("score",))]
    totals = pd.DataFrame({c: paired[c].to_numpy(float) for c in columns}).groupby(cell, sort=True).sum()
    cells = totals.index.to_numpy()
    n = np.bincount(cell)[cells]
    out = pd.DataFrame({"language": np.asarray(languages, dtype=object)[cells // len(buckets.categories)],
                        "bucket": pd.Categorical.from_codes(cells % len(buckets.categories), dtype=buckets.dtype),
                        "n": n})
    for side in ("a", "b"):
        if micro:
            out[f"score_{side}"] = _f1(*(totals[f"{c}_{side}"].to_numpy() for c in ("tp", "fp", "fn")))
        else:
            out[f"score_{side}"] = 100.0 * totals[f"score_{side}"].to_numpy() / n
    out["gain"] = out["score_a"] - out["score_b"]
    return out


#: Columns of the examples table shown and exported, in order (those the task has).
_TABLE_COLUMNS = ["language", "perturbation", "key", "flip", "bucket", "text_b", "text_a", "text_pair", "gold",
                  "prediction_b", "prediction_a", "score_b", "score_a", *ATTRIBUTES]
_TABLE_NAMES = {"text_b": "input", "text_a": "input (A)", "text_pair": "second text", "prediction_b": "B predicted",
                "prediction_a": "A predicted", "score_b": "B score", "score_a": "A score"}


def example_table(paired: pd.DataFrame, attribute: str, edges: Sequence[float] | None = None) -> pd.DataFrame:
    """The paired examples as a reader wants them: flip, bucket, input, gold, both predictions and scores, then
    the attributes; A's input only where it differs from B's (perturbed), empty attribute columns dropped."""
    table = paired.assign(bucket=pd.Series(bucket_labels(paired[attribute], attribute, edges), index=paired.index))
    if "text_a" in table.columns and table["text_a"].equals(table["text_b"]):
        table = table.drop(columns="text_a")
    columns = [c for c in dict.fromkeys(_TABLE_COLUMNS) if c in table.columns and table[c].notna().any()]
    return table[columns].rename(columns=_TABLE_NAMES).reset_index(drop=True)


def filter_examples(paired: pd.DataFrame, flips: Sequence[str] = (), attribute: str | None = None,
                    buckets: Sequence[str] = (), edges: Sequence[float] | None = None,
                    search: str = "") -> pd.DataFrame:
    """The paired examples of the chosen flip categories and buckets whose text, gold or predictions contain
    ``search`` (case-insensitive); empty choices keep everything."""
    keep = np.ones(len(paired), dtype=bool)
    if flips:
        keep &= paired["flip"].isin(list(flips)).to_numpy()
    if attribute is not None and buckets:
        keep &= pd.Series(bucket_labels(paired[attribute], attribute, edges)).isin(list(buckets)).to_numpy()
    if search:
        fields = [c for c in ("text_b", "text_a", "text_pair", "gold", "prediction_a", "prediction_b")
                  if c in paired.columns]
        hit = np.zeros(len(paired), dtype=bool)
        for column in fields:
            found = paired[column].astype("string").str.contains(search, case=False, regex=False)
            hit |= found.fillna(False).to_numpy(bool)
        keep &= hit
    return paired[keep]


#: Short names for attributes (``--bucket length``).
ATTRIBUTE_ALIASES = {"length": "tokens", "answer_length": "answer_words", "entity_type": "entity_types",
                     "entity": "entity_types"}


def available_attributes(paired: pd.DataFrame) -> list[str]:
    """The attributes these examples have values of (which depends on the task family)."""
    return [a for a in ATTRIBUTES if a in paired.columns and paired[a].notna().any()]


def resolve_attribute(name: str, paired: pd.DataFrame) -> str:
    """The attribute ``name`` stands for on these examples (``length``: sub-word tokens, or words where no
    tokenizer counted them); ValueError naming the available ones otherwise."""
    attribute = ATTRIBUTE_ALIASES.get(name, name)
    available = available_attributes(paired)
    if attribute == "tokens" and "tokens" not in available and "words" in available:
        return "words"
    if attribute not in available:
        raise ValueError(f"no bucket {name!r} for these examples; available: "
                         f"{', '.join([*available, *(k for k, v in ATTRIBUTE_ALIASES.items() if v in available)])}")
    return attribute

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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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
_MAX_GATHER = 4_000_000  # bootstrap index cells drawn at once (bounds memory at ~32 MB)


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
    else the chi-square statistic with Edwards' continuity correction on one degree of freedom."""
    from scipy import stats  # imported here: scipy.stats costs seconds, which commands that never test should not pay

    b, c = int(wrong_to_right), int(right_to_wrong)
    n = b + c
    if n == 0:
        return McNemar(b, c, 0.0, 1.0, "no discordant pairs")
    if n < EXACT_BELOW:
        p = min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), n, 0.5)))
        return McNemar(b, c, float(min(b, c)), p, "exact binomial")
    statistic = (abs(b - c) - 1.0) ** 2 / n
    return McNemar(b, c, statistic, float(stats.chi2.sf(statistic, 1)), "chi-square, continuity-corrected")


def is_micro_f1(frame: pd.DataFrame) -> bool:
    """Whether the rows are tagged sentences (their score is micro F1 over entity counts)."""
    return "tp" in frame.columns and frame["tp"].notna().any()


def metric_name(frame: pd.DataFrame) -> str:
    """The metric the rows are scored with: entity F1 (tagging), token F1 (QA: fractional scores) or accuracy."""
    if is_micro_f1(frame):
        return "f1"
    score, correct = frame["score"].to_numpy(float), frame["correct"].to_numpy(bool)
    return "f1" if not np.array_equal(score, correct.astype(float)) else "accuracy"


def paired_side(paired: pd.DataFrame, side: str) -> pd.DataFrame:
    """One side's outcome columns of a paired frame under their plain names (``correct``, ``score``, ``tp``...)."""
    columns = {f"{c}_{side}": c for c in ("correct", "score", "tp", "fp", "fn") if f"{c}_{side}" in paired.columns}
    return paired[list(columns)].rename(columns=columns)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 100.0 * 2 * tp / np.maximum(denominator, 1), 0.0)


def language_scores(records: pd.DataFrame) -> pd.DataFrame:
    """Per (language, perturbation): n and the task's metrics recomputed from stored examples (accuracy; F1 and
    EM for QA; micro F1, precision and recall for tagging), on the store's 0–100 scale."""
    rows = []
    for (language, perturbation), group in records.groupby(["language", "perturbation"], sort=True):
        scores = {"language": language, "perturbation": perturbation, "n": len(group)}
        if is_micro_f1(group):
            tp, fp, fn = group[["tp", "fp", "fn"]].sum().to_numpy(float)
            scores.update(f1=float(_f1(tp, fp, fn)), precision=100.0 * tp / (tp + fp) if tp + fp else 0.0,
                          recall=100.0 * tp / (tp + fn) if tp + fn else 0.0)
        elif metric_name(group) == "f1":
            scores.update(f1=100.0 * group["score"].mean(), em=100.0 * group["correct"].mean())
        else:
            scores["accuracy"] = 100.0 * group["correct"].mean()
        rows.append(scores)
    return pd.DataFrame(rows)


def pair_conditions(a: pd.DataFrame, b: pd.DataFrame, by_perturbation: bool = False) -> pd.DataFrame:
    """The examples both conditions scored, one row each: attributes and gold of B (the reference), each
    condition's prediction, outcome and text as ``<column>_a`` / ``<column>_b``, and the ``flip``.

    ``by_perturbation`` pairs an example only with itself under the same perturbation (two runs compared under
    each of their conditions); otherwise the key alone pairs (e.g. clean against one perturbation).
    """
    keys = [*_KEYS, "perturbation"] if by_perturbation else _KEYS
    own = [c for c in CONDITION_COLUMNS if c in a.columns and c not in keys]
    left = a[[*keys, *own]].rename(columns={c: f"{c}_a" for c in own})
    right = b.rename(columns={c: f"{c}_b" for c in own})
    paired = right.merge(left, on=keys, how="inner", validate="one_to_one")
    if not by_perturbation:
        paired["perturbation"] = paired["perturbation_b"]
    paired["flip"] = flip_labels(paired["correct_a"].to_numpy(bool), paired["correct_b"].to_numpy(bool))
    return paired


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


def _statistic(frame: pd.DataFrame, side: str, micro: bool) -> tuple[np.ndarray, ...]:
    if micro:
        return tuple(frame[f"{c}_{side}"].to_numpy(float) for c in ("tp", "fp", "fn"))
    return (frame[f"score_{side}"].to_numpy(float),)


def _value(parts: tuple[np.ndarray, ...], micro: bool) -> float:
    return float(_f1(*(p.sum() for p in parts))) if micro else 100.0 * float(parts[0].mean())


def _replicates(parts: tuple[np.ndarray, ...], micro: bool, draws: np.ndarray) -> np.ndarray:
    if micro:
        return _f1(*(p[draws].sum(axis=1) for p in parts))
    return 100.0 * parts[0][draws].mean(axis=1)


def _bootstrap(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...], micro: bool, n_boot: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Replicates of A's and B's score on the same resampled examples."""
    n = len(a[0])
    step = max(1, _MAX_GATHER // max(n, 1))
    out_a, out_b = [], []
    for start in range(0, n_boot, step):
        draws = rng.integers(0, n, size=(min(step, n_boot - start), n))
        out_a.append(_replicates(a, micro, draws))
        out_b.append(_replicates(b, micro, draws))
    return np.concatenate(out_a), np.concatenate(out_b)


def bucket_scores(paired: pd.DataFrame, attribute: str, edges: Sequence[float] | None = None,
                  n_boot: int = 1000, confidence: float = 0.95, rng_seed: int = 0) -> pd.DataFrame:
    """Per bucket of ``attribute`` (and ``all``): n, both conditions' scores and the gain A − B with paired
    percentile bootstrap intervals, the flip counts and McNemar's p-value."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    micro = is_micro_f1(paired_side(paired, "a"))
    buckets = bucket_labels(paired[attribute], attribute, edges)
    alpha = (1 - confidence) / 2
    rows = []
    groups = [(str(name), paired[buckets == name]) for name in buckets.categories] + [("all", paired)]
    for name, group in groups:
        if not len(group):
            continue
        a, b = _statistic(group, "a", micro), _statistic(group, "b", micro)
        rng = np.random.default_rng([rng_seed, len(group)])
        reps_a, reps_b = _bootstrap(a, b, micro, n_boot, rng)
        flips = group["flip"].value_counts()
        test = mcnemar(flips.get("wrong→right", 0), flips.get("right→wrong", 0))
        score_a, score_b = _value(a, micro), _value(b, micro)
        rows.append({
            "bucket": name, "n": len(group), "score_a": score_a,
            "a_low": float(np.quantile(reps_a, alpha)), "a_high": float(np.quantile(reps_a, 1 - alpha)),
            "score_b": score_b, "b_low": float(np.quantile(reps_b, alpha)),
            "b_high": float(np.quantile(reps_b, 1 - alpha)),
            "gain": score_a - score_b, "gain_low": float(np.quantile(reps_a - reps_b, alpha)),
            "gain_high": float(np.quantile(reps_a - reps_b, 1 - alpha)),
            "wrong_to_right": test.wrong_to_right, "right_to_wrong": test.right_to_wrong, "p_value": test.p_value,
        })
    return pd.DataFrame(rows)


def gain_by_language(paired: pd.DataFrame, attribute: str, edges: Sequence[float] | None = None) -> pd.DataFrame:
    """Long table (language, bucket, n, score_a, score_b, gain) of point estimates: the heatmap's cells.

    Numeric buckets are cut at quantiles of every language's values pooled, so all languages share them.
    """
    micro = is_micro_f1(paired_side(paired, "a"))
    frame = pd.DataFrame({"language": paired["language"].to_numpy(),
                          "bucket": bucket_labels(paired[attribute], attribute, edges)})
    columns = [f"{c}_{s}" for s in ("a", "b") for c in (("tp", "fp", "fn") if micro else ("score",))]
    for column in columns:
        frame[column] = paired[column].to_numpy(float)
    sums = frame.groupby(["language", "bucket"], observed=True)
    totals = sums[columns].sum()
    out = pd.DataFrame({"n": sums.size()})
    for side in ("a", "b"):
        if micro:
            out[f"score_{side}"] = _f1(*(totals[f"{c}_{side}"].to_numpy() for c in ("tp", "fp", "fn")))
        else:
            out[f"score_{side}"] = 100.0 * totals[f"score_{side}"].to_numpy() / out["n"].to_numpy()
    out["gain"] = out["score_a"] - out["score_b"]
    return out.reset_index()


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

"""Does intermediate training on non-English data make transfer more robust to perturbed input?

A *robustness drop* is a perturbed evaluation's score minus the clean evaluation's score of the same
trained model (model, intermediate task, intermediate languages, MLM co-training), target task,
language, metric, split, setting and source: negative when the perturbation hurts. Structurally it
is a gain whose baseline is the clean evaluation, so ``robustness_drops`` hands the rows to
``pipeline.analysis.stats.gains_with_ci`` with the clean rows in the baseline's place: matched
seeds (the pipeline evaluates one trained model clean and perturbed) give a paired t-interval on
the per-seed drops, other seeds a bootstrap, one seed no interval, with the same notes.

``compare_training_languages`` then asks the issue's question: per cell and perturbation, the drop
after training on another language set minus the drop after English-only training, with a
confidence interval from the per-seed drops (paired when both sets share their seeds). A positive
difference means the other set loses *less* under the perturbation, i.e. is more robust.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.analysis.stats import CONDITION_COLUMNS, gains_with_ci
from pipeline.perturb import CLEAN, parse_perturbation
from pipeline.tasks import BASELINE

#: What one trained model is: its drops compare its own clean and perturbed evaluations.
TRAINED_COLUMNS: list[str] = ["model", "intermediate_task", "intermediate_languages", "mlm_cotraining"]
#: ``training_languages`` groups of intermediate-language sets.
ENGLISH, NON_ENGLISH, MULTI, UNTRAINED = "English", "non-English", "multi-language", "no intermediate training"
_RENAMED = {"gain": "drop", "mean": "perturbed_mean", "baseline_mean": "clean_mean", "n_baseline": "n_clean",
            "values": "perturbed_values", "baseline_values": "clean_values", "baseline_seeds": "clean_seeds"}
_DROP_COLUMNS = [*CONDITION_COLUMNS, "perturbation_name", "strength", "training_languages", "n", "n_clean",
                 "perturbed_mean", "clean_mean", "drop", "ci_low", "ci_high", "ci_method", "ci_note", "confidence",
                 "paired", "seeds", "perturbed_values", "clean_seeds", "clean_values"]
_COMPARISON_KEYS = [c for c in CONDITION_COLUMNS if c != "intermediate_languages"]
_COMPARISON_COLUMNS = [*_COMPARISON_KEYS, "perturbation_name", "strength", "reference_languages",
                       "intermediate_languages", "training_languages", "n", "n_reference", "drop", "reference_drop",
                       "difference", "ci_low", "ci_high", "ci_method", "ci_note", "confidence", "paired"]


def training_languages(intermediate_languages: str, reference: str = "en") -> str:
    """``English`` (the reference language alone), ``non-English`` (one other language) or ``multi-language``."""
    codes = str(intermediate_languages).split(",")
    if len(codes) > 1:
        return MULTI
    return ENGLISH if codes[0] == reference else NON_ENGLISH


def _strengths(perturbation: pd.Series) -> pd.DataFrame:
    """``perturbation_name`` and ``strength`` of ``<name>@<strength>`` values (parsed once per distinct value)."""
    specs = {p: parse_perturbation(p) for p in perturbation.unique()}
    return pd.DataFrame({"perturbation_name": perturbation.map(lambda p: specs[p].name),
                         "strength": perturbation.map(lambda p: specs[p].strength)}, index=perturbation.index)


def perturbations_by_name(perturbations: list[str]) -> dict[str, list[str]]:
    """``<name>@<strength>`` values grouped by the perturbation's name (what the Robustness page offers)."""
    names: dict[str, list[str]] = {}
    for perturbation in perturbations:
        names.setdefault(parse_perturbation(perturbation).name, []).append(perturbation)
    return names


def _relabelled_gains(frame: pd.DataFrame, unit: list[str], is_base: pd.Series, label: pd.Series, confidence: float,
                      n_boot: int, rng_seed: int) -> pd.DataFrame:
    """``gains_with_ci`` of the ``label``-ed rows over the ``is_base`` rows of the same ``unit`` and cell.

    The unit (e.g. one trained model) takes the model column's place and the label the intermediate
    task's, so the statistics layer matches, pairs and resamples as it does for gains; the output
    has the unit's columns back and the label in ``label``.
    """
    unit_id = frame.groupby(unit, dropna=False, sort=False).ngroup().to_numpy()  # numbered as first seen
    units = frame[unit].iloc[np.unique(unit_id, return_index=True)[1]].reset_index(drop=True)
    relabelled = frame[[*CONDITION_COLUMNS, "run_id", "value", "seed"]].assign(
        model=unit_id, intermediate_task=np.where(is_base, BASELINE, label))
    gains = gains_with_ci(relabelled, confidence=confidence, n_boot=n_boot, rng_seed=rng_seed)
    original = units.iloc[gains["model"].to_numpy(dtype=int)].reset_index(drop=True)
    return gains.drop(columns=list({*unit, "model", "intermediate_task", "baseline_run_id"})).join(original).assign(
        label=gains["intermediate_task"])


def robustness_drops(
    results: pd.DataFrame, reference: str = "en", confidence: float = 0.95, n_boot: int = 2000, rng_seed: int = 0
) -> pd.DataFrame:
    """One row per trained model, cell and perturbation: perturbed − clean score with a confidence interval.

    Columns: ``CONDITION_COLUMNS`` (``perturbation`` is ``<name>@<strength>``), ``perturbation_name``,
    ``strength``, ``training_languages`` (see ``training_languages``; ``UNTRAINED`` for the baseline),
    ``n``/``n_clean`` (seeds), ``perturbed_mean``, ``clean_mean``, ``drop``, ``ci_low``, ``ci_high``,
    ``ci_method`` (paired-t, bootstrap or none), ``ci_note``, ``paired`` and the per-seed samples. A perturbed cell without a
    clean evaluation has a NaN drop and says so. No perturbed rows: an empty frame.
    """
    frame = results.reset_index(drop=True)
    clean = frame["perturbation"] == CLEAN
    if clean.all():
        return pd.DataFrame(columns=_DROP_COLUMNS)
    drops = _relabelled_gains(frame.assign(perturbation=CLEAN), TRAINED_COLUMNS, clean, frame["perturbation"],
                              confidence, n_boot, rng_seed)
    drops = drops.assign(perturbation=drops.pop("label")).rename(columns=_RENAMED)
    drops["ci_note"] = drops["ci_note"].str.replace("baseline", "clean evaluation", regex=False)
    drops.loc[drops["clean_mean"].isna(), "ci_note"] = "no clean evaluation of this trained model and cell"
    drops = drops.join(_strengths(drops["perturbation"]))
    drops["training_languages"] = drops["intermediate_languages"].map(lambda s: training_languages(s, reference))
    drops.loc[drops["intermediate_task"] == BASELINE, "training_languages"] = UNTRAINED
    return drops[_DROP_COLUMNS]


def _per_seed_drops(drops: pd.DataFrame) -> pd.DataFrame:
    """Long rows of per-seed drops; a drop whose clean and perturbed seeds differ is one unseeded observation."""
    matched = [len(s) == len(c) and bool(np.array_equal(s, c, equal_nan=False))
               for s, c in zip(drops["seeds"], drops["clean_seeds"])]
    samples = [p - c if same else np.array([d]) for p, c, d, same
               in zip(drops["perturbed_values"], drops["clean_values"], drops["drop"], matched)]
    seeds = [s if same else np.array([np.nan]) for s, same in zip(drops["seeds"], matched)]
    long = drops[CONDITION_COLUMNS].assign(value=samples, seed=seeds).explode(["value", "seed"], ignore_index=True)
    return long.assign(value=long["value"].astype(float), seed=pd.to_numeric(long["seed"]).astype("Int64"),
                       run_id="")


def compare_training_languages(
    drops: pd.DataFrame, reference: str = "en", confidence: float = 0.95, n_boot: int = 2000, rng_seed: int = 0
) -> pd.DataFrame:
    """Per cell and perturbation: another intermediate-language set's drop minus the ``reference`` set's.

    ``drops`` is ``robustness_drops`` output. Rows of the same model, intermediate task and MLM
    co-training are compared; per-seed drops (perturbed − clean of one trained model) are the
    samples, so a paired t-interval when both sets were trained with the same seeds, else a
    bootstrap. ``difference`` > 0: the other set loses less under the perturbation. Drops without a
    clean evaluation are left out; a drop whose seeds are unmatched counts as one observation.
    """
    drops = drops[drops["drop"].notna()]
    if drops.empty or (drops["intermediate_languages"] == reference).all():
        return pd.DataFrame(columns=_COMPARISON_COLUMNS)
    long = _per_seed_drops(drops)
    is_reference = long["intermediate_languages"] == reference
    unit = ["model", "intermediate_task", "mlm_cotraining"]
    table = _relabelled_gains(long, unit, is_reference, long["intermediate_languages"], confidence, n_boot, rng_seed)
    table = table.drop(columns="label").rename(columns={
        "gain": "difference", "mean": "drop", "baseline_mean": "reference_drop", "n_baseline": "n_reference"})
    table["ci_note"] = table["ci_note"].str.replace("baseline", "reference drop", regex=False)
    table.loc[table["reference_drop"].isna(), "ci_note"] = f"no drop after intermediate training on {reference} alone"
    table = table.join(_strengths(table["perturbation"]))
    table["reference_languages"] = reference
    table["training_languages"] = table["intermediate_languages"].map(lambda s: training_languages(s, reference))
    return table[_COMPARISON_COLUMNS]

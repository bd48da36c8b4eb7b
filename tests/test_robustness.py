"""Robustness drops (perturbed − clean) and the English vs other-language comparison, checked by hand and scipy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.analysis.robustness import (
    ENGLISH,
    MULTI,
    NON_ENGLISH,
    UNTRAINED,
    compare_training_languages,
    robustness_drops,
    training_languages,
)
from pipeline.store import ResultsStore


def row(value: float, seed: int | None, languages: str = "en", perturbation: str = "none", **cell: object) -> dict:
    """One row as the pipeline writes it: a tiny-model XNLI run after MNLI training on ``languages``."""
    base = {
        "run_id": f"run-{languages}-{seed}", "source": "run", "model": "tiny-xlmr-test", "model_params": 120_000,
        "intermediate_task": "mnli", "intermediate_languages": languages, "mlm_cotraining": False,
        "target_task": "xnli", "language": "de", "metric": "accuracy", "value": value, "split": "test",
        "setting": "zero-shot", "seed": seed, "perturbation": perturbation, "test_artifact": True,
    }
    return {**base, **cell}


def evaluations(clean: dict, perturbed: dict, languages: str = "en", perturbation: str = "char_noise@0.1",
                **cell: object) -> list[dict]:
    """Clean and perturbed rows given as {seed: value}."""
    return ([row(v, s, languages, **cell) for s, v in clean.items()]
            + [row(v, s, languages, perturbation, **cell) for s, v in perturbed.items()])


def through_store(rows: list[dict], tmp_path: Path) -> pd.DataFrame:
    store = ResultsStore(tmp_path / "atlas.db")
    store.insert_results(rows, label="test")
    return store.read_results()


def t_interval(samples: np.ndarray) -> tuple[float, float]:
    return stats.t.interval(0.95, len(samples) - 1, loc=samples.mean(), scale=stats.sem(samples))


def test_matched_seeds_give_a_paired_t_interval_on_the_per_seed_drops(tmp_path: Path) -> None:
    clean, perturbed = {1: 70.0, 2: 74.0, 3: 71.0}, {1: 66.0, 2: 69.0, 3: 68.5}
    drops = robustness_drops(through_store(evaluations(clean, perturbed), tmp_path))
    assert len(drops) == 1
    drop = drops.iloc[0]
    per_seed = np.array([perturbed[s] - clean[s] for s in (1, 2, 3)])
    assert drop["drop"] == pytest.approx(per_seed.mean())
    assert (drop["ci_low"], drop["ci_high"]) == pytest.approx(t_interval(per_seed))
    assert drop["ci_method"] == "paired-t" and drop["n"] == drop["n_clean"] == 3
    assert (drop["perturbation_name"], drop["strength"]) == ("char_noise", 0.1)
    assert drop["clean_mean"] == pytest.approx(np.mean(list(clean.values())))


def test_each_trained_model_is_compared_with_its_own_clean_evaluation(tmp_path: Path) -> None:
    rows = (evaluations({1: 70.0, 2: 72.0}, {1: 60.0, 2: 63.0}, "en")
            + evaluations({1: 40.0, 2: 42.0}, {1: 39.0, 2: 41.5}, "de")
            + evaluations({1: 55.0, 2: 57.0}, {1: 50.0, 2: 51.0}, "en", intermediate_task="qqp")
            + evaluations({1: 65.0, 2: 66.0}, {1: 64.0, 2: 64.0}, "en", intermediate_task="none"))
    drops = robustness_drops(through_store(rows, tmp_path)).set_index(["intermediate_task", "intermediate_languages"])
    assert drops.loc[("mnli", "en"), "drop"] == pytest.approx(-9.5)
    assert drops.loc[("none", "en"), "drop"] == pytest.approx(-1.5)
    assert drops.loc[("none", "en"), "training_languages"] == UNTRAINED
    assert drops.loc[("mnli", "de"), "drop"] == pytest.approx(-0.75)
    assert drops.loc[("qqp", "en"), "drop"] == pytest.approx(-5.5)
    assert drops.loc[("mnli", "de"), "training_languages"] == NON_ENGLISH


def test_strengths_and_cells_are_kept_apart_and_unmatched_cells_say_why(tmp_path: Path) -> None:
    rows = (evaluations({1: 70.0, 2: 72.0}, {1: 66.0, 2: 68.0})
            + [row(60.0, 1, perturbation="char_noise@0.3"), row(61.0, 2, perturbation="char_noise@0.3")]
            + [row(50.0, 1, perturbation="word_swap@0.2", language="zh")])
    drops = robustness_drops(through_store(rows, tmp_path)).set_index("perturbation")
    assert drops.loc["char_noise@0.1", "drop"] == pytest.approx(-4.0)
    assert drops.loc["char_noise@0.3", "drop"] == pytest.approx(-10.5)
    assert drops.loc["char_noise@0.3", "strength"] == 0.3
    lonely = drops.loc["word_swap@0.2"]
    assert np.isnan(lonely["drop"]) and lonely["ci_note"] == "no clean evaluation of this trained model and cell"


def test_one_seed_has_no_interval_and_different_seeds_are_bootstrapped(tmp_path: Path) -> None:
    rows = (evaluations({1: 70.0}, {1: 65.0}, "en")
            + evaluations({1: 70.0, 2: 71.0, 3: 69.0}, {4: 60.0, 5: 62.0, 6: 61.0}, "de"))
    drops = robustness_drops(through_store(rows, tmp_path)).set_index("intermediate_languages")
    single = drops.loc["en"]
    assert single["drop"] == -5.0 and np.isnan(single["ci_low"]) and "n=1" in single["ci_note"]
    unpaired = drops.loc["de"]
    assert unpaired["ci_method"] == "bootstrap" and not unpaired["paired"]
    assert unpaired["drop"] == pytest.approx(-9.0)
    assert unpaired["ci_low"] < unpaired["drop"] < unpaired["ci_high"]
    assert "unpaired" in unpaired["ci_note"]


def test_clean_results_alone_have_no_drops() -> None:
    frame = pd.DataFrame([row(70.0, 1)])
    assert robustness_drops(frame).empty
    assert compare_training_languages(robustness_drops(frame)).empty


def test_difference_of_drops_is_paired_over_seeds_and_positive_when_the_other_set_is_more_robust(tmp_path: Path) -> None:
    english = ({1: 70.0, 2: 72.0, 3: 71.0}, {1: 60.0, 2: 63.0, 3: 60.5})
    multi = ({1: 69.0, 2: 70.0, 3: 72.0}, {1: 66.0, 2: 66.5, 3: 70.0})
    rows = evaluations(*english, "en") + evaluations(*multi, "de,en,fr")
    drops = robustness_drops(through_store(rows, tmp_path))
    table = compare_training_languages(drops)
    assert len(table) == 1
    result = table.iloc[0]
    per_seed = np.array([(multi[1][s] - multi[0][s]) - (english[1][s] - english[0][s]) for s in (1, 2, 3)])
    assert result["difference"] == pytest.approx(per_seed.mean()) and result["difference"] > 0
    assert (result["ci_low"], result["ci_high"]) == pytest.approx(t_interval(per_seed))
    assert result["ci_method"] == "paired-t"
    assert result["reference_drop"] == pytest.approx(-(10 + 9 + 10.5) / 3)
    assert (result["intermediate_languages"], result["training_languages"]) == ("de,en,fr", MULTI)


def test_comparison_matches_perturbation_and_language_and_needs_an_english_reference(tmp_path: Path) -> None:
    rows = (evaluations({1: 70.0, 2: 72.0}, {1: 60.0, 2: 62.0}, "en")
            + evaluations({1: 70.0, 2: 72.0}, {1: 68.0, 2: 70.0}, "de")
            + [row(50.0, 1, "en", "char_noise@0.3"), row(52.0, 2, "en", "char_noise@0.3")]
            + [row(65.0, 1, "de", "char_noise@0.3"), row(67.0, 2, "de", "char_noise@0.3")]
            + evaluations({1: 80.0, 2: 82.0}, {1: 70.0, 2: 71.0}, "fr", language="zh"))
    table = compare_training_languages(robustness_drops(through_store(rows, tmp_path)))
    by_key = table.set_index(["intermediate_languages", "language", "perturbation"])
    assert by_key.loc[("de", "de", "char_noise@0.1"), "difference"] == pytest.approx(8.0)
    assert by_key.loc[("de", "de", "char_noise@0.3"), "difference"] == pytest.approx(15.0)
    orphan = by_key.loc[("fr", "zh", "char_noise@0.1")]
    assert np.isnan(orphan["difference"]) and orphan["ci_note"] == "no drop after intermediate training on en alone"


def test_training_language_groups() -> None:
    assert training_languages("en") == ENGLISH
    assert training_languages("de") == NON_ENGLISH
    assert training_languages("de,en") == MULTI
    assert training_languages("de", reference="de") == ENGLISH

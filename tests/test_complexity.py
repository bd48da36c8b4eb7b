"""Intermediate-task complexity: profiles from data and registry, published sizes, effects, rank correlations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from transformers import AutoTokenizer

from pipeline.analysis.complexity import (
    complexity_correlations,
    complexity_profile,
    published_profiles,
    task_effects,
)
from pipeline.data.load import load_source
from pipeline.data.spec import intermediate_data
from pipeline.published.importer import TASK_STATS_CSV, published_rows
from pipeline.tasks import BENCHMARK_AVERAGE, get_intermediate_task
from pipeline.testing.fixtures import build_fixture_data
from pipeline.testing.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_data(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    return AutoTokenizer.from_pretrained(build_tiny_model(tmp_path_factory.mktemp("tiny")))


def _train(task_id: str, root: Path):
    return load_source(intermediate_data(get_intermediate_task(task_id)).train[0], root)


def test_profiles_of_fixture_tasks_are_measured_in_the_given_tokenizer(fixture_root: Path, tokenizer) -> None:
    mnli, squad, hellaswag = (_train(t, fixture_root) for t in ("mnli", "squad_v1", "hellaswag"))
    nli = complexity_profile("mnli", mnli, tokenizer, english_dev_score=61.5)
    assert (nli["train_size"], nli["label_space"], nli["head"]) == (len(mnli), 3.0, "sentence_pair_classification")
    expected = np.mean([len(tokenizer.tokenize(a)) + len(tokenizer.tokenize(b))
                        for a, b in zip(mnli["text_a"], mnli["text_b"])])
    assert nli["mean_input_tokens"] == pytest.approx(expected) and nli["english_dev_score"] == 61.5
    assert nli["mean_input_tokens"] != complexity_profile("mnli", mnli)["mean_input_tokens"]  # not whitespace words
    qa = complexity_profile("squad_v1", squad, tokenizer)
    brute = np.mean([sum(1 for s in range(n) for e in range(s, min(n, s + 30)))
                     for n in (len(tokenizer.tokenize(c)) for c in squad["context"])])
    assert qa["label_space"] == pytest.approx(brute) and "candidate answer spans" in qa["label_space_counts"]
    assert complexity_profile("hellaswag", hellaswag, tokenizer)["label_space"] == 4.0


def test_diversity_is_taken_on_a_fixed_token_window_and_tags_are_counted_from_data() -> None:
    rows = [{"tokens": ["the", "cat", "the", "dog"], "tags": ["DT", "NN", "DT", "NN"]},
            {"tokens": ["a", "cat", "runs"], "tags": ["DT", "NN", "VBZ"]}]
    full = complexity_profile("ccg", rows, ttr_tokens=100)
    assert full["type_token_ratio"] == pytest.approx(5 / 7) and full["ttr_tokens_used"] == 7
    assert full["mean_input_tokens"] == 3.5 and full["label_space"] == 3.0 and full["tokens"] == "whitespace words"
    window = complexity_profile("ccg", rows, ttr_tokens=3)
    assert window["ttr_tokens_used"] == 3 and window["type_token_ratio"] in (2 / 3, 1.0)
    with pytest.raises(ValueError, match="needs data"):
        complexity_profile("ccg", [])


def test_published_profiles_carry_table_1_sizes_and_only_what_the_registry_knows() -> None:
    profiles = published_profiles().set_index("intermediate_task")
    printed = pd.read_csv(TASK_STATS_CSV).set_index("intermediate_task")["train_size"]
    assert profiles["train_size"].to_dict() == printed.to_dict() and printed["anli_plus"] == 1_104_934
    assert profiles.loc["qqp", "label_space"] == 2 and profiles.loc["commonsenseqa", "label_space"] == 5
    assert np.isnan(profiles.loc["squad_v1", "label_space"]) and profiles["mean_input_tokens"].isna().all()


def _run_row(task: str, language: str, value: float, run: str) -> dict:
    return {"run_id": run, "source_id": "pipeline", "model": "xlm-roberta-base", "intermediate_task": task,
            "mlm_cotraining": False, "target_task": "xnli", "language": language, "metric": "accuracy",
            "split": "test", "setting": "zero-shot", "perturbation": "none", "seed": 1, "value": value,
            "baseline_run_id": "base"}


def test_gap_change_is_the_change_of_english_minus_mean_non_english() -> None:
    scores = {"none": {"en": 80, "de": 70, "zh": 60}, "mnli": {"en": 82, "de": 75, "zh": 66}}
    rows = [_run_row(task, lang, v, "base" if task == "none" else "run") for task, by in scores.items()
            for lang, v in by.items()]
    effect = task_effects(pd.DataFrame(rows)).iloc[0]
    before, after = 80 - (70 + 60) / 2, 82 - (75 + 66) / 2
    assert effect["mean_gain"] == pytest.approx(5.5) and effect["gap_change"] == pytest.approx(after - before)
    assert effect["n_languages"] == 2


def test_published_table_2_gives_mean_gains_and_rank_correlations_but_no_gap() -> None:
    results = pd.DataFrame(published_rows())
    effects = task_effects(results)
    avg = effects[(effects["target_task"] == BENCHMARK_AVERAGE) & (effects["source_id"] == "phang2020_v1")
                  & ~effects["mlm_cotraining"].astype(bool)]
    printed = results[(results["target_task"] == BENCHMARK_AVERAGE) & (results["intermediate_task"] == "anli_plus")
                      & ~results["mlm_cotraining"].astype(bool) & (results["source_id"] == "phang2020_v1")]
    assert avg.set_index("intermediate_task").loc["anli_plus", "mean_gain"] == pytest.approx(
        printed["printed_delta"].iloc[0])
    profiles = published_profiles()
    table = complexity_correlations(profiles, avg, n_boot=300)
    size = table[(table["measure"] == "train_size") & (table["outcome"] == "mean_gain")].set_index("method")
    both = profiles.merge(avg, on="intermediate_task")
    assert len(both) == 7
    assert size.loc["spearman", "coefficient"] == pytest.approx(stats.spearmanr(both["train_size"], both["mean_gain"])[0])
    assert size.loc["spearman", "ci_low"] <= size.loc["spearman", "coefficient"] <= size.loc["spearman", "ci_high"]
    assert size.loc["spearman", "p_adjusted"] >= size.loc["spearman", "p_value"]
    gap = table[table["outcome"] == "gap_change"]["refused"]
    assert gap.str.contains("no task has a gap_change").all()
    assert table[(table["measure"] == "label_space") & (table["outcome"] == "mean_gain")]["n"].iloc[0] == 5
    diversity = table[(table["measure"] == "type_token_ratio") & (table["outcome"] == "mean_gain")]
    assert diversity["refused"].iloc[0] == "no task has a type_token_ratio (it needs the task's data or a run)"


def test_too_few_tasks_or_several_conditions_are_refused() -> None:
    profiles = pd.DataFrame({"intermediate_task": ["a", "b", "c"], "train_size": [1, 2, 3]})
    effects = pd.DataFrame({"intermediate_task": ["a", "b", "c"], "mean_gain": [0.1, 0.5, 0.2], "gap_change": 0.0})
    table = complexity_correlations(profiles, effects, measures=["train_size"])
    assert table["refused"].iloc[0].startswith("only 3 intermediate task(s)")
    with pytest.raises(ValueError, match="select one condition"):
        complexity_correlations(profiles, pd.concat([effects, effects]))

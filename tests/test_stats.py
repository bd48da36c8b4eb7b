"""Seed statistics on inputs whose answers are known by hand or from scipy.stats."""

from __future__ import annotations

from itertools import count

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.analysis.stats import adjust_pvalues, aggregate_seeds, gains_with_ci, significance, xtreme_average
from pipeline.store import ResultsStore
from pipeline.tasks import BENCHMARK_AVERAGE, target_tasks

_RUN_IDS = count()


def row(**overrides: object) -> dict[str, object]:
    """One result row of an XNLI-German zero-shot MNLI run unless told otherwise."""
    base: dict[str, object] = {
        "run_id": f"run-{next(_RUN_IDS)}", "source": "run", "source_id": "pipeline", "model": "xlm-roberta-large",
        "intermediate_task": "mnli", "intermediate_languages": "en", "mlm_cotraining": False,
        "target_task": "xnli", "language": "de", "metric": "accuracy", "value": 50.0, "split": "dev",
        "setting": "zero-shot", "seed": None, "perturbation": "none", "baseline_run_id": None,
        "test_artifact": True,
    }
    base.update(overrides)
    return base


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    table["seed"] = table["seed"].astype("Int64")
    return table


def experiment(treatment: dict, baseline: dict, **cell: object) -> list[dict[str, object]]:
    """Rows of a treatment and a baseline given as {seed: value} (a seed may be None)."""
    rows = [row(seed=seed, value=value, **cell) for seed, value in treatment.items()]
    rows += [row(seed=seed, value=value, intermediate_task="none", **cell) for seed, value in baseline.items()]
    return rows


def only(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    assert mask.sum() == 1, f"{mask.sum()} rows match {where}"
    return table[mask].iloc[0]


# --------------------------------------------------------------------------- aggregate_seeds


def test_aggregate_seeds_hand_computed() -> None:
    rows = [row(seed=s, value=v) for s, v in [(1, 70.0), (2, 72.0), (3, 74.0)]]
    rows += [row(seed=1, value=60.0, setting="translate-train"), row(seed=2, value=65.0, uncertain=True)]
    table = aggregate_seeds(frame(rows))
    zero_shot, translated = only(table, setting="zero-shot"), only(table, setting="translate-train")
    assert (zero_shot["mean"], zero_shot["n"]) == (pytest.approx(70.25), 4)
    assert zero_shot["std"] == pytest.approx(np.std([70, 72, 74, 65], ddof=1))
    assert bool(zero_shot["uncertain"]) and bool(zero_shot["test_artifact"])
    assert (translated["mean"], translated["n"]) == (60.0, 1) and not translated["uncertain"]
    assert np.isnan(translated["std"])


@pytest.mark.filterwarnings("error")
def test_aggregate_seeds_all_equal_values_give_exactly_zero_std() -> None:
    table = aggregate_seeds(frame([row(seed=s, value=80.1) for s in range(3)] + [row(language="fr", value=1.0)]))
    german = only(table, language="de")
    assert german["mean"] == 80.1 and german["std"] == 0.0


def test_missing_values_are_refused_not_dropped() -> None:
    with pytest.raises(ValueError, match="1 row"):
        aggregate_seeds(frame([row(seed=1, value=70.0), row(seed=2, value=np.nan)]))


# --------------------------------------------------------------------------- gains_with_ci


@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_paired_gain_is_scipys_paired_t_interval(confidence: float) -> None:
    treatment, baseline = [80.0, 81.0, 83.0, 82.0], [78.0, 78.5, 79.0, 80.5]
    rows = experiment(dict(zip([4, 2, 9, 7], treatment)), dict(zip([4, 2, 9, 7], baseline)))
    rows.reverse()  # pairing must follow the seed, not the row order
    gain = only(gains_with_ci(frame(rows), confidence=confidence), language="de")
    reference = stats.ttest_rel(treatment, baseline).confidence_interval(confidence)
    assert gain["ci_method"] == "paired-t" and bool(gain["paired"])
    assert gain["gain"] == pytest.approx(np.mean(np.subtract(treatment, baseline)))
    assert (gain["ci_low"], gain["ci_high"]) == (pytest.approx(reference.low), pytest.approx(reference.high))
    assert (gain["mean"], gain["baseline_mean"]) == (pytest.approx(81.5), pytest.approx(79.0))
    assert list(gain["seeds"]) == [2, 4, 7, 9]
    assert gain["ci_note"] == ""


def test_unmatched_seeds_fall_back_to_a_bootstrap_close_to_welch() -> None:
    rng = np.random.default_rng(7)
    treatment, baseline = rng.normal(72, 2, 30), rng.normal(70, 3, 30)
    rows = experiment(dict(zip(range(30), treatment)), dict(zip(range(100, 130), baseline)))
    gain = only(gains_with_ci(frame(rows)), language="de")
    welch = stats.ttest_ind(treatment, baseline, equal_var=False).confidence_interval()
    assert gain["ci_method"] == "bootstrap" and not gain["paired"]
    assert "seeds differ" in gain["ci_note"]
    assert gain["gain"] == pytest.approx(treatment.mean() - baseline.mean())
    width = welch.high - welch.low
    assert abs(gain["ci_low"] - welch.low) < 0.1 * width and abs(gain["ci_high"] - welch.high) < 0.1 * width


def test_bootstrap_is_reproducible_and_depends_on_rng_seed() -> None:
    rows = experiment({1: 70.0, 2: 74.0, 3: 71.0}, {4: 69.0, 5: 70.5, 6: 66.0})
    first, again = gains_with_ci(frame(rows)), gains_with_ci(frame(rows))
    other = gains_with_ci(frame(rows), rng_seed=1)
    assert first["ci_low"].iloc[0] == again["ci_low"].iloc[0] and first["ci_high"].iloc[0] == again["ci_high"].iloc[0]
    assert (first["ci_low"].iloc[0], first["ci_high"].iloc[0]) != (other["ci_low"].iloc[0], other["ci_high"].iloc[0])
    # A bootstrap replicate of a difference of means cannot leave [min x − max y, max x − min y].
    assert 70.0 - 70.5 <= first["ci_low"].iloc[0] < first["gain"].iloc[0] < first["ci_high"].iloc[0] <= 74.0 - 66.0
    assert "few seeds" in first["ci_note"].iloc[0]


def test_unseeded_rows_are_never_paired() -> None:
    rows = [row(value=v, run_id=f"t{i}") for i, v in enumerate([70.0, 72.0])]
    rows += [row(value=v, run_id=f"b{i}", intermediate_task="none") for i, v in enumerate([68.0, 69.0])]
    gain = gains_with_ci(frame(rows)).iloc[0]
    assert gain["ci_method"] == "bootstrap" and "repeated seeds" in gain["ci_note"]


def test_n1_on_either_side_gives_no_interval() -> None:
    rows = experiment({None: 75.0}, {1: 70.0, 2: 71.0, 3: 72.0})
    rows += experiment({1: 80.0, 2: 82.0}, {None: 79.0}, language="fr")
    table = gains_with_ci(frame(rows))
    for language, gain in [("de", 4.0), ("fr", 2.0)]:
        cell = only(table, language=language)
        assert cell["gain"] == pytest.approx(gain)
        assert np.isnan(cell["ci_low"]) and np.isnan(cell["ci_high"])
        assert cell["ci_method"] == "none" and cell["ci_note"].startswith("n=1: no interval")


def test_missing_baseline_keeps_the_row_with_a_note() -> None:
    rows = experiment({1: 75.0, 2: 76.0}, {1: 70.0, 2: 71.0})
    rows += [row(seed=1, value=60.0, language="fr")]  # no baseline at all
    rows += [row(seed=1, value=60.0, language="es"), row(seed=1, value=50.0, language="es", source_id="other",
                                                           intermediate_task="none")]  # baseline of another source
    rows += [row(seed=1, value=61.0, language="ru", baseline_run_id="gone")]
    table = gains_with_ci(frame(rows))
    assert set(table["language"]) == {"de", "fr", "es", "ru"}
    for language in ("fr", "es", "ru"):
        cell = only(table, language=language)
        assert np.isnan(cell["gain"]) and cell["ci_note"].startswith("no baseline")
        assert cell["n_baseline"] == 0 and cell["ci_method"] == "none"
    assert "run gone" in only(table, language="ru")["ci_note"]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("baseline_seeds", [[1, 2, 3], [4, 5, 6]], ids=["paired", "bootstrap"])
def test_all_equal_values_give_an_interval_of_width_zero(baseline_seeds: list[int]) -> None:
    rows = experiment({1: 80.1, 2: 80.1, 3: 80.1}, dict.fromkeys(baseline_seeds, 78.3))
    gain = gains_with_ci(frame(rows)).iloc[0]
    assert gain["gain"] == gain["ci_low"] == gain["ci_high"] == 80.1 - 78.3
    assert "zero variance" in gain["ci_note"]


def test_explicit_baseline_run_wins_over_the_default_match() -> None:
    rows = [row(seed=s, value=80.0, intermediate_task="none", run_id="base-a") for s in (1, 2)]
    rows += [row(seed=s, value=60.0 + s, intermediate_task="none", run_id="base-b") for s in (1, 2)]
    rows += [row(seed=s, value=70.0 + 2 * s, baseline_run_id="base-b") for s in (1, 2)]
    rows += [row(seed=s, value=70.0 + 2 * s, mlm_cotraining=True) for s in (1, 2)]
    table = gains_with_ci(frame(rows))
    linked, pooled = only(table, mlm_cotraining=False), only(table, mlm_cotraining=True)
    assert linked["baseline_run_id"] == "base-b" and linked["ci_method"] == "paired-t"
    assert linked["gain"] == pytest.approx(73.0 - 61.5) and linked["n_baseline"] == 2
    assert pooled["n_baseline"] == 4 and pooled["ci_method"] == "bootstrap"
    assert pooled["baseline_mean"] == pytest.approx(70.75)
    assert "repeated baseline seeds" in pooled["ci_note"]


def test_one_run_per_seed_linked_seed_by_seed_is_one_paired_condition() -> None:
    """The pipeline writes a run id per seed, each linked to the baseline run of its seed."""
    rows = [row(seed=s, value=60.0 + s, intermediate_task="none", run_id=f"base-{s}") for s in (1, 2, 3)]
    rows += [row(seed=s, value=62.0 + 2 * s, run_id=f"mnli-{s}", baseline_run_id=f"base-{s}") for s in (1, 2, 3)]
    table = gains_with_ci(frame(rows))
    assert len(table) == 1
    cell = table.iloc[0]
    assert (cell["n"], cell["n_baseline"], cell["ci_method"]) == (3, 3, "paired-t")
    assert cell["baseline_run_id"] == "base-1,base-2,base-3"
    differences = [2.0 + s for s in (1, 2, 3)]
    low, high = stats.t.interval(0.95, 2, loc=np.mean(differences), scale=stats.sem(differences))
    assert (cell["ci_low"], cell["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_gains_read_back_from_the_store_match(store_path) -> None:
    rows = experiment({1: 80.0, 2: 81.5, 3: 79.0}, {1: 78.0, 2: 78.5, 3: 77.0})
    rows += experiment({1: 60.0, 2: 61.0}, {5: 55.0, 6: 58.0}, language="fr")
    store = ResultsStore(store_path)
    store.insert_results(rows, label="test")
    from_store = gains_with_ci(store.read_results()).sort_values("language", ignore_index=True)
    direct = gains_with_ci(frame(rows)).sort_values("language", ignore_index=True)
    columns = ["language", "gain", "ci_low", "ci_high", "ci_method", "ci_note", "n", "n_baseline"]
    pd.testing.assert_frame_equal(from_store[columns], direct[columns], check_dtype=False)
    assert list(from_store["ci_method"]) == ["paired-t", "bootstrap"]


def test_empty_input_gives_empty_outputs() -> None:
    empty = frame([row(seed=1)]).iloc[:0]
    assert gains_with_ci(empty).empty and aggregate_seeds(empty).empty
    assert significance(gains_with_ci(empty)).empty
    assert xtreme_average(empty).empty


# --------------------------------------------------------------------------- significance


def _gain_table(*cells: tuple[dict, dict, dict]) -> pd.DataFrame:
    rows = [r for treatment, baseline, cell in cells for r in experiment(treatment, baseline, **cell)]
    return gains_with_ci(frame(rows))


def test_exact_sign_flip_counts_ties_as_extreme() -> None:
    # Differences (2, 1, 1, −1): 8 of the 16 sign patterns reach |sum| >= 3 (4 of them by a tie).
    gains = _gain_table(({1: 52.0, 2: 51.0, 3: 51.0, 4: 49.0}, dict.fromkeys([1, 2, 3, 4], 50.0), {}))
    cell = significance(gains, method="permutation").iloc[0]
    assert cell["test"] == "sign-flip permutation (exact)"
    assert cell["p_value"] == 0.5


def test_exact_sign_flip_floor_is_reported() -> None:
    gains = _gain_table(({1: 51.0, 2: 52.0, 3: 53.0, 4: 54.0}, dict.fromkeys([1, 2, 3, 4], 50.0), {}))
    cell = significance(gains, method="permutation").iloc[0]
    assert cell["p_value"] == 2 / 16
    assert "cannot reach p <= 0.05" in cell["p_note"] and not cell["significant"]


def test_exact_two_sample_permutation_by_hand() -> None:
    # x = (3, 4), y = (1, 2): of the 6 splits of {1, 2, 3, 4}, two reach |mean difference| >= 2.
    gains = _gain_table(({1: 53.0, 2: 54.0}, {3: 51.0, 4: 52.0}, {}))
    cell = significance(gains, method="permutation").iloc[0]
    assert cell["test"] == "two-sample permutation (exact)"
    assert cell["p_value"] == pytest.approx(1 / 3)


def test_paired_bootstrap_extremes() -> None:
    gains = _gain_table(
        ({1: 60.0, 2: 61.0, 3: 62.0}, {1: 50.0, 2: 51.0, 3: 52.0}, {}),  # every seed +10
        ({1: 60.0, 2: 61.0, 3: 62.0}, {1: 62.0, 2: 61.0, 3: 60.0}, {"language": "fr"}),  # mean difference 0
    )
    table = significance(gains, method="paired_bootstrap", n_boot=999)
    assert only(table, language="de")["p_value"] == pytest.approx(1 / 1000)
    assert only(table, language="fr")["p_value"] == 1.0
    assert (table["test"] == "paired bootstrap").all()
    assert table["p_note"].str.contains("few seeds").all()


@pytest.mark.parametrize("method", ["paired_bootstrap", "permutation"])
def test_many_seeds_agree_with_the_paired_t_test(method: str) -> None:
    # Differences with mean 0.6 and sd 1.8 exactly (normal scores, shuffled): t = 2.11 on 39 df.
    z = stats.norm.ppf((np.arange(40) + 0.5) / 40)
    rng = np.random.default_rng(3)
    baseline = rng.normal(70, 2, 40)
    treatment = baseline + 0.6 + 1.8 * rng.permutation((z - z.mean()) / z.std(ddof=1))
    gains = _gain_table((dict(enumerate(treatment)), dict(enumerate(baseline)), {}))
    cell = significance(gains, method=method).iloc[0]
    reference = stats.ttest_rel(treatment, baseline).pvalue
    assert 0.005 < reference < 0.1
    assert cell["p_value"] == pytest.approx(reference, rel=0.25)
    assert cell["test"] in ("paired bootstrap", "sign-flip permutation (Monte Carlo)")


def test_holm_by_hand() -> None:
    # Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 → kept monotone at 0.06.
    adjusted = adjust_pvalues([0.01, 0.04, 0.03, 0.005], "holm")
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(adjust_pvalues([0.5, 0.9], "holm"), [1.0, 1.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_benjamini_hochberg_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.05, 20), rng.uniform(0, 1, 30), [0.01, 0.01, 0.2, 0.2]])  # with ties
    rng.shuffle(p)
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), stats.false_discovery_control(p, method="bh"))


def test_adjustment_skips_untested_cells_and_checks_its_input() -> None:
    adjusted = adjust_pvalues([0.01, np.nan, 0.04], "holm")
    np.testing.assert_allclose(adjusted, [0.02, np.nan, 0.04])
    with pytest.raises(ValueError):
        adjust_pvalues([1.5], "bh")
    with pytest.raises(ValueError):
        adjust_pvalues([0.5], "bonferroni")


def test_switching_holm_and_bh_changes_which_cells_are_significant() -> None:
    up = dict(enumerate([51.0, 52.0, 53.0, 51.5, 52.5, 54.0]))
    flat = dict.fromkeys(range(6), 50.0)
    gains = _gain_table((up, flat, {}), (up, flat, {"language": "fr"}), ({0: 55.0}, {0: 50.0}, {"language": "es"}))
    holm = significance(gains, method="permutation", correction="holm")
    bh = significance(gains, method="permutation", correction="bh")
    tested = holm["language"].isin(["de", "fr"])
    assert (holm.loc[tested, "p_value"] == 2 / 64).all()  # exact sign-flip test, 6 seeds
    assert (holm.loc[tested, "p_adjusted"] == 4 / 64).all() and not holm["significant"].any()
    assert (bh.loc[tested, "p_adjusted"] == 2 / 64).all() and bh.loc[tested, "significant"].all()
    assert (holm["n_tests"] == 2).all()
    untested = only(bh, language="es")
    assert np.isnan(untested["p_value"]) and not untested["significant"] and "n=1" in untested["p_note"]
    per_language = significance(gains, method="permutation", correction="holm", family=["language"])
    assert (per_language.loc[tested, "p_adjusted"] == 2 / 64).all()


def test_significance_refuses_unknown_options_and_frames() -> None:
    gains = _gain_table(({1: 51.0, 2: 52.0}, {1: 50.0, 2: 50.0}, {}))
    with pytest.raises(ValueError, match="method"):
        significance(gains, method="t")
    with pytest.raises(ValueError, match="correction"):
        significance(gains, correction="bonferroni")
    with pytest.raises(ValueError, match="needs the column"):
        significance(gains.drop(columns="values"))


# --------------------------------------------------------------------------- xtreme_average


def _xtreme_tasks() -> list:
    return [t for t in target_tasks().values() if "xtreme" in t.languages_by_benchmark]


def benchmark_rows(seeds: list[int | None], varying: str | None = None) -> list[dict[str, object]]:
    """A full XTREME grid: value = 60 + language position (+10 for F1) (+ seed, for the ``varying`` task or all)."""
    rows = []
    for task in _xtreme_tasks():
        metrics = ("f1", "em") if task.group == "question_answering" else (task.primary,)
        for position, language in enumerate(task.languages_by_benchmark["xtreme"]):
            for metric in metrics:
                for seed in seeds:
                    shift = (seed or 0) if varying in (None, task.id) else 0
                    rows.append(row(target_task=task.id, language=language, metric=metric, seed=seed,
                                    value=60.0 + position + (10 if metric == "f1" else 0) + shift,
                                    intermediate_task="none", run_id=f"base-{seed}"))
    return rows


def expected_task_score(task_id: str, mean_seed: float) -> float:
    task = target_tasks()[task_id]
    languages = len(task.languages_by_benchmark["xtreme"])
    bonus = 5.0 if task.group == "question_answering" else (10.0 if task.primary == "f1" else 0.0)
    return 60.0 + (languages - 1) / 2 + bonus + mean_seed


def test_task_and_overall_scores_follow_xtremes_scorer() -> None:
    table = xtreme_average(frame(benchmark_rows([1, 2, 3])))
    bucc = only(table, target_task="bucc", metric="score")
    assert bucc["value"] == pytest.approx(61.5 + 10 + 2) and bucc["n"] == 3 and bucc["n_languages"] == 4
    mlqa = {m: only(table, target_task="mlqa", metric=m)["value"] for m in ("f1", "em", "score")}
    assert mlqa == {"f1": pytest.approx(75.0), "em": pytest.approx(65.0), "score": pytest.approx(70.0)}
    assert only(table, target_task="xnli", metric="accuracy")["value"] == only(table, target_task="xnli",
                                                                                 metric="score")["value"]
    overall = only(table, target_task=BENCHMARK_AVERAGE)
    expected = np.mean([expected_task_score(t.id, 2.0) for t in _xtreme_tasks()])
    assert overall["value"] == pytest.approx(expected) and overall["note"] == ""
    assert overall["ci_low"] < overall["value"] < overall["ci_high"]


def test_overall_interval_is_the_task_interval_scaled_by_the_number_of_tasks() -> None:
    table = xtreme_average(frame(benchmark_rows([1, 2, 3, 4, 5], varying="panx")))
    panx, overall = only(table, target_task="panx", metric="score"), only(table, target_task=BENCHMARK_AVERAGE)
    tasks = len(_xtreme_tasks())
    assert overall["value"] - overall["ci_low"] == pytest.approx((panx["value"] - panx["ci_low"]) / tasks)
    assert overall["ci_high"] - overall["value"] == pytest.approx((panx["ci_high"] - panx["value"]) / tasks)
    xnli = only(table, target_task="xnli", metric="score")
    assert xnli["ci_low"] == xnli["ci_high"] == xnli["value"] and "zero variance" in xnli["note"]


def test_overall_is_nan_without_every_task() -> None:
    rows = [r for r in benchmark_rows([1, 2]) if r["target_task"] != "tatoeba"]
    overall = only(xtreme_average(frame(rows)), target_task=BENCHMARK_AVERAGE)
    assert np.isnan(overall["value"]) and overall["note"] == "missing tasks: tatoeba"


def test_missing_languages_are_named_and_incomplete_seeds_left_out() -> None:
    rows = [r for r in benchmark_rows([1, 2, 3]) if not (r["target_task"] == "panx" and r["language"] == "yo")]
    rows = [r for r in rows if not (r["target_task"] == "xquad" and r["language"] == "th" and r["metric"] == "em"
                                    and r["seed"] == 2)]
    table = xtreme_average(frame(rows))
    panx = only(table, target_task="panx", metric="score")
    assert np.isnan(panx["value"]) and panx["n"] == 0 and panx["note"] == "39 of 40 languages: missing yo"
    xquad = only(table, target_task="xquad", metric="f1")
    assert xquad["n"] == 2 and xquad["note"] == "seeds lacking languages left out: 2"
    assert xquad["value"] == pytest.approx(expected_task_score("xquad", 2.0) + 5.0)
    overall = only(table, target_task=BENCHMARK_AVERAGE)
    assert np.isnan(overall["value"]) and overall["note"] == "no task score for: panx"


def test_unseeded_results_get_scores_without_intervals() -> None:
    table = xtreme_average(frame(benchmark_rows([None])))
    overall = only(table, target_task=BENCHMARK_AVERAGE)
    assert overall["value"] == pytest.approx(np.mean([expected_task_score(t.id, 0.0) for t in _xtreme_tasks()]))
    assert np.isnan(overall["ci_low"]) and "n=1" in overall["note"]
    assert (table.loc[table["target_task"] != BENCHMARK_AVERAGE, "note"] == "n=1: no interval").all()


def test_rows_outside_the_benchmark_do_not_change_the_average() -> None:
    rows = benchmark_rows([1, 2])
    extra = [row(target_task="udpos", language="lt", metric="f1", value=0.0, intermediate_task="none", seed=1,
                 run_id="base-1"),  # XTREME-R only
             row(target_task="xnli", language="avg", metric="accuracy", value=0.0, intermediate_task="none")]
    assert_same = pd.testing.assert_frame_equal
    assert_same(xtreme_average(frame(rows + extra)), xtreme_average(frame(rows)))
    with pytest.raises(ValueError, match="unknown benchmark"):
        xtreme_average(frame(rows), benchmark="glue")

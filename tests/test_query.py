"""The query layer gives every page the numbers the whole-table pandas path gave.

Before the query layer, each page read every stored row into one frame, derived gains, gaps and
intervals from all of it and then picked its selection. Now the page picks a slice first and the
analysis runs on that slice. On a fixed synthetic grid of ~10^4 rows (seeds, perturbations, nested
intermediate-language sets, published rows) each page's analysis is computed both ways and must be
identical.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

REPO = Path(__file__).resolve().parents[1]
sys.path.append(str(REPO / "bench"))

from generate_synthetic import synthetic_rows  # noqa: E402
from pipeline.analysis.claims import result_sets, result_sets_in, select_result_set, select_result_set_in  # noqa: E402
from pipeline.analysis.complexity import task_effects  # noqa: E402
from pipeline.analysis.query import EVERYTHING, ResultsQuery  # noqa: E402
from pipeline.analysis.robustness import compare_training_languages, robustness_drops  # noqa: E402
from pipeline.analysis.saturation import CURVE_KEYS, saturation_points, swept_slice  # noqa: E402
from pipeline.analysis.scaling import model_family, scaling_points  # noqa: E402
from pipeline.analysis.tables import (  # noqa: E402
    COMPARISON_COLUMNS,
    comparisons,
    comparisons_in,
    filter_results,
    language_table,
    overview_intervals,
    overview_table,
    source_summary,
)
from pipeline.published import published_rows  # noqa: E402
from pipeline.store import ResultsStore  # noqa: E402
from pipeline.tasks import BASELINE, BENCHMARK_AVERAGE, LANGUAGE_MEAN  # noqa: E402

KEPT_TASKS = {"xnli", "pawsx", "xquad", "tatoeba"}


def _grid_rows() -> list[dict[str, object]]:
    """Two model sizes × 4 seeds × clean and perturbed × a few target tasks of the synthetic grid, plus
    the same XNLI runs trained on nested language sets (en,de and en,de,fr), some flagged uncertain."""
    rows = [r for r in itertools.islice(synthetic_rows(), 0, 420_000)
            if r["model"] in ("synthetic-encoder-xs", "synthetic-encoder-s") and r["seed"] <= 4
            and r["target_task"] in KEPT_TASKS and r["perturbation"] in ("none", "token_drop@0.3")
            and r["intermediate_task"] in (BASELINE, "mnli", "qqp", "squad_v1") and r["split"] == "dev"]
    swept = []
    for languages, shift in (("de,en", 1.0), ("de,en,fr", 1.5)):
        swept += [{**r, "run_id": f"{r['run_id']}-{languages}", "intermediate_languages": languages,
                   "value": round(float(r["value"]) + shift, 2)}
                  for r in rows if r["intermediate_task"] == "mnli" and r["target_task"] == "xnli"]
    for i, row in enumerate(rows):
        if i % 97 == 0:
            row["uncertain"] = True
    return rows + swept


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ResultsStore:
    store = ResultsStore(tmp_path_factory.mktemp("query") / "atlas.db")
    store.insert_results(_grid_rows(), label="synthetic")
    store.insert_results(published_rows(), label="published")
    assert 8_000 < store.count() < 20_000
    return store


@pytest.fixture(scope="module")
def everything(store: ResultsStore) -> pd.DataFrame:
    return store.read_results()


@pytest.fixture(scope="module")
def query(store: ResultsStore) -> ResultsQuery:
    return ResultsQuery(store)


def test_the_query_reads_every_row_as_the_store_does_also_with_rows_written_since(store_location: str) -> None:
    store = ResultsStore(store_location)  # both engines: the snapshot of a PostgreSQL store is cached locally
    store.insert_results(_grid_rows()[:12_000], label="first")
    store.read_results()  # leaves a snapshot
    more = _grid_rows()[12_000:12_300]
    changed = [{**r, "value": 1.0} for r in _grid_rows()[:50]]  # replaced rows: their new version counts
    store.insert_results(more + changed, label="since")
    assert_frame_equal(ResultsQuery(store).rows(), store.read_results())


def test_sidebar_filters_pick_the_same_rows(everything: pd.DataFrame, query: ResultsQuery) -> None:
    selections = {"source": ["run"], "model": ["synthetic-encoder-s", "xlm-roberta-large"], "split": ["dev"]}
    where = EVERYTHING.keeping(**selections)
    expected = filter_results(everything, selections)
    assert_frame_equal(query.rows(where), expected.reset_index(drop=True))
    without_flagged = expected[~expected["uncertain"]].reset_index(drop=True)
    assert_frame_equal(query.rows(where.__class__(**{**where.__dict__, "uncertain": False})), without_flagged)
    real = everything[~everything["test_artifact"]].reset_index(drop=True)
    assert_frame_equal(query.rows(EVERYTHING.__class__(test_artifacts=False)), real)
    assert query.distinct(["model"])["model"].tolist() == sorted(everything["model"].unique())
    firsts = everything.drop_duplicates(["model", "split"]).reset_index(drop=True)
    assert_frame_equal(query.first_rows(["model", "split"]), firsts)
    labels = ["model", "split", "model_label"]
    assert_frame_equal(query.first_rows(["model", "split"], columns=labels), firsts[labels])


def test_overview_grids_tables_and_intervals(everything: pd.DataFrame, query: ResultsQuery) -> None:
    grids = comparisons(everything)
    assert_frame_equal(comparisons_in(query), grids)
    for grid in grids.head(3).to_dict("records"):
        selection = {c: [grid[c]] for c in COMPARISON_COLUMNS}
        before = filter_results(everything, selection)
        after = query.rows(EVERYTHING.keeping(**selection))
        for show in ("absolute", "gain"):
            old, new = overview_table(before, show=show), overview_table(after, show=show)
            assert_frame_equal(new.values, old.values)
            assert_frame_equal(new.cells, old.cells)
        old_ci, new_ci = overview_intervals(before), overview_intervals(after)
        assert_frame_equal(new_ci.half_width, old_ci.half_width)
        assert_frame_equal(new_ci.dimmed, old_ci.dimmed)


def test_languages_table(everything: pd.DataFrame, query: ResultsQuery) -> None:
    per_language = everything[everything["language"] != LANGUAGE_MEAN]
    model = "synthetic-encoder-s"
    before = per_language[(per_language["setting"] == "zero-shot") & (per_language["model"] == model)]
    after = query.rows(EVERYTHING.dropping(language=[LANGUAGE_MEAN]).keeping(
        target_task=["xnli"], metric=["accuracy"], setting=["zero-shot"], model=[model]))
    expected = language_table(before, "xnli", "accuracy", method="permutation")
    assert len(expected) > 10 and expected["gain"].notna().any()
    assert_frame_equal(language_table(after, "xnli", "accuracy", method="permutation"), expected)


def test_robustness_drops_of_one_task(everything: pd.DataFrame, query: ResultsQuery) -> None:
    rows = everything[everything["language"] != LANGUAGE_MEAN]
    drops = robustness_drops(rows)
    differences = compare_training_languages(drops)
    task_rows = query.rows(EVERYTHING.dropping(language=[LANGUAGE_MEAN]).keeping(target_task=["xnli"]))
    new_drops = robustness_drops(task_rows)
    assert new_drops["drop"].notna().any()
    assert_frame_equal(new_drops, drops[drops["target_task"] == "xnli"].reset_index(drop=True))
    new_differences = compare_training_languages(new_drops)
    assert_frame_equal(new_differences, differences[differences["target_task"] == "xnli"].reset_index(drop=True))


def test_robustness_drops_of_the_trained_model_the_page_shows(everything: pd.DataFrame, query: ResultsQuery) -> None:
    """The Robustness page reads one trained model (all its intermediate-language sets), one metric and one
    perturbation's strengths: its drops and differences are those of the whole table, intervals included."""
    rows = everything[everything["language"] != LANGUAGE_MEAN]
    drops = robustness_drops(rows)
    differences = compare_training_languages(drops)
    trained = {"model": "synthetic-encoder-s", "intermediate_task": "mnli", "mlm_cotraining": False,
               "split": "dev", "setting": "zero-shot"}
    shown = EVERYTHING.dropping(language=[LANGUAGE_MEAN]).keeping(
        target_task=["xnli"], metric=["accuracy"], perturbation=["none", "token_drop@0.3"],
        **{column: [value] for column, value in trained.items()})
    new_drops = robustness_drops(query.rows(shown))
    expected = drops[(drops[list(trained)] == pd.Series(trained)).all(axis=1) & drops["target_task"].eq("xnli")]
    assert set(new_drops["intermediate_languages"]) == {"en", "de,en", "de,en,fr"}
    assert new_drops["ci_low"].notna().all()
    assert_frame_equal(new_drops, expected.reset_index(drop=True))
    expected_differences = differences[(differences[list(trained)] == pd.Series(trained)).all(axis=1)
                                       & differences["target_task"].eq("xnli")]
    assert not expected_differences.empty
    assert_frame_equal(compare_training_languages(new_drops), expected_differences.reset_index(drop=True))


@pytest.mark.parametrize("quantity", ["score", "gap", "mean_gap"])
def test_scale_points_of_one_family_and_task(everything: pd.DataFrame, query: ResultsQuery, quantity: str) -> None:
    sized = everything[everything["model_params"].notna()]
    points = scaling_points(sized, quantity)
    assert points["family"].nunique() > 2
    for (family, task), expected in points.groupby(["family", "target_task"]):
        models = [m for m in sized["model"].unique() if model_family(m) == family]
        after = query.rows(EVERYTHING.requiring("model_params").keeping(model=models, target_task=[task]))
        assert_frame_equal(scaling_points(after, quantity), expected.reset_index(drop=True))


def test_complexity_effects_of_one_target(everything: pd.DataFrame, query: ResultsQuery) -> None:
    effects = task_effects(everything)
    for target, metric in (("xnli", "accuracy"), (BENCHMARK_AVERAGE, "score")):
        expected = effects[effects["target_task"] == target].reset_index(drop=True)
        after = task_effects(query.rows(EVERYTHING.keeping(target_task=[target], metric=[metric])))
        assert not expected.empty
        assert_frame_equal(after, expected)


def test_saturation_curves_of_swept_runs(everything: pd.DataFrame, query: ResultsQuery) -> None:
    trained = everything[(everything["intermediate_task"] != BASELINE) & (everything["language"] != LANGUAGE_MEAN)]
    where = swept_slice(query, EVERYTHING.dropping(intermediate_task=[BASELINE], language=[LANGUAGE_MEAN]))
    for average in (True, False):
        points = saturation_points(trained, average_languages=average)
        new = saturation_points(query.rows(where), average_languages=average)
        curve = CURVE_KEYS if average else [*CURVE_KEYS, "language"]
        def with_curves(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame.groupby(curve, dropna=False)["k"].transform("nunique") >= 2].reset_index(drop=True)
        assert not with_curves(points).empty
        assert_frame_equal(with_curves(new), with_curves(points))
    nothing = swept_slice(query, EVERYTHING.keeping(source=["published"]))
    assert query.count(nothing) == 0


def test_sources_summary_and_search(everything: pd.DataFrame, query: ResultsQuery) -> None:
    summary = everything.groupby(["source", "source_id"], as_index=False).agg(
        rows=("value", "size"), uncertain=("uncertain", "sum"), models=("model", "nunique"))
    assert_frame_equal(source_summary(query), summary, check_dtype=False)
    haystack = everything["provenance"] + " " + everything["notes"] + " " + everything["model_label"]
    found = everything[haystack.str.contains("table 2", case=False, regex=False)].reset_index(drop=True)
    assert len(found) > 0
    searched = EVERYTHING.containing("table 2", ["provenance", "notes", "model_label"])
    assert_frame_equal(query.rows(searched), found)
    assert query.count(searched) == len(found)


def test_claims_result_sets_read_only_their_rows(everything: pd.DataFrame, query: ResultsQuery) -> None:
    assert_frame_equal(result_sets_in(query), result_sets(everything))
    for key in result_sets(everything)["key"]:
        expected = select_result_set(everything, key).reset_index(drop=True)
        assert_frame_equal(select_result_set_in(query, key), expected)
    run = everything.loc[everything["baseline_run_id"].notna(), "run_id"].iloc[0]
    expected = select_result_set(everything, f"run:{run}").reset_index(drop=True)
    assert expected["intermediate_task"].eq(BASELINE).any()
    assert_frame_equal(select_result_set_in(query, f"run:{run}"), expected)
    with pytest.raises(ValueError, match="no results for 'run:nothing'"):
        select_result_set_in(query, "run:nothing")

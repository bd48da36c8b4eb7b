"""Lauscher et al. 2020's preset: similarities from the shipped lang2vec vectors, computed as their code does."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.analysis.lauscher import SIZE_LOG, SIZE_RAW, lauscher_correlations
from pipeline.typology import benchmark_languages, get_language
from pipeline.typology.features import FEATURE_SETS, compute_features, cosine_similarity_to, read_features
from pipeline.typology.pretraining import pretraining_sizes

#: Lauscher et al.'s XNLI languages (their analysis_utils.get_langs_for_task), English first.
XNLI = ["en", "fr", "es", "el", "bg", "ru", "tr", "ar", "vi", "th", "zh", "hi", "sw", "ur", "de"]


def test_shipped_vectors_cover_every_benchmark_language_and_equal_lang2vec_s() -> None:
    shipped = read_features()
    assert set(shipped["feature_set"]) == set(FEATURE_SETS)
    for feature_set, part in shipped.groupby("feature_set"):
        assert set(part["language"]) == set(benchmark_languages()), feature_set
    live = compute_features(["en", "sw", "zh"]).sort_values(["feature_set", "language", "feature"])
    cached = shipped[shipped["language"].isin(["en", "sw", "zh"])].sort_values(["feature_set", "language", "feature"])
    np.testing.assert_array_equal(live["feature"], cached["feature"])
    np.testing.assert_allclose(live["value"], cached["value"], rtol=1e-5)


@pytest.mark.parametrize("feature_set", ["syntax_knn", "phonology_knn", "geo"])
def test_similarity_is_the_cosine_of_lang2vec_s_minimal_vectors(feature_set: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lang2vec.lang2vec as l2v
    codes = [get_language(c).lang2vec_code for c in XNLI]
    rows = l2v.get_features(codes, feature_set, minimal=True)
    matrix = np.array([[np.nan if v == "--" else float(v) for v in rows[c]] for c in codes])
    matrix = matrix[:, ~np.isnan(matrix).any(axis=0)]
    expected = matrix @ matrix[0] / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(matrix[0]))
    got = cosine_similarity_to(XNLI[1:], "en", feature_set)
    assert list(got["language"]) == XNLI
    np.testing.assert_allclose(got["similarity"], expected, rtol=1e-5)


def test_correlations_are_scipy_s_over_the_task_languages_with_english() -> None:
    rng = np.random.default_rng(3)
    scores = pd.DataFrame({"target_task": "xnli", "language": XNLI, "value": 90 - 20 * rng.random(len(XNLI))})
    sizes = pretraining_sizes("xlmr", languages=XNLI)
    table = lauscher_correlations(scores, lambda langs, fs: cosine_similarity_to(langs, "en", fs), FEATURE_SETS, sizes)
    assert set(table["feature"]) == {*FEATURE_SETS.values(), SIZE_RAW, SIZE_LOG} and (table["n"] == 15).all()
    cell = table.set_index(["feature", "method"])
    syntax = cosine_similarity_to(XNLI, "en", "syntax_knn")["similarity"]
    assert cell.loc[("syntax (SYN)", "pearson"), "coefficient"] == pytest.approx(
        stats.pearsonr(syntax, scores["value"]).statistic)
    assert cell.loc[(SIZE_RAW, "pearson"), "coefficient"] == pytest.approx(
        stats.pearsonr(sizes["corpus_size"], scores["value"]).statistic)
    assert cell.loc[(SIZE_LOG, "spearman"), "coefficient"] == pytest.approx(
        cell.loc[(SIZE_RAW, "spearman"), "coefficient"]), "ranks do not care about the log"
    few = lauscher_correlations(scores.head(3), lambda langs, fs: cosine_similarity_to(langs, "en", fs),
                                {"syntax_knn": "syntax (SYN)"}, None)
    assert few["refused"].iloc[0].startswith("only 3 language(s)")

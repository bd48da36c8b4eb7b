"""The pure example-level statistics: McNemar against scipy, buckets, paired bootstrap intervals, micro F1 per
bucket against seqeval, the heatmap cells, filters, and the per-example attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.analysis.examples import (
    bucket_edges,
    bucket_labels,
    bucket_scores,
    filter_examples,
    flip_labels,
    flip_table,
    gain_by_language,
    mcnemar,
    resolve_attribute,
)
from pipeline.examples.features import entity_attributes, scripts, word_counts
from pipeline.metrics import score_task


@pytest.mark.parametrize("b, c", [(0, 5), (1, 9), (7, 7), (3, 12), (11, 2)])
def test_mcnemar_is_the_exact_binomial_test_for_few_discordant_pairs(b: int, c: int) -> None:
    test = mcnemar(b, c)
    assert test.method == "exact binomial"
    assert test.p_value == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue, rel=1e-12)


def test_mcnemar_p_values_agree_with_scipy_stats() -> None:
    """Every exact case (summed exactly: within one rounding of scipy's binomial CDF) and the chi-square branch up
    to 200 discordant pairs (the function scipy.stats.chi2.sf calls: the same bits)."""
    b, n = np.concatenate([np.arange(m + 1) for m in range(1, 201)]), np.repeat(np.arange(1, 201), np.arange(2, 202))
    exact = n < 25
    expected = np.where(exact, np.minimum(1.0, 2.0 * stats.binom.cdf(np.minimum(b, n - b), n, 0.5)),
                        stats.chi2.sf((np.abs(2 * b - n) - 1.0) ** 2 / n, 1))
    got = np.array([mcnemar(x, m - x).p_value for x, m in zip(b.tolist(), n.tolist())])
    assert exact.sum() == 324
    np.testing.assert_allclose(got[exact], expected[exact], rtol=1e-14, atol=0)
    assert np.array_equal(got[~exact], expected[~exact])


def test_mcnemar_textbook_values() -> None:
    assert mcnemar(1, 9).p_value == pytest.approx(0.021484375)  # 2 * (1 + 10) / 2**10
    large = mcnemar(40, 20)  # (|40-20|-1)^2/60 = 6.0167, chi-square with 1 df
    assert large.method.startswith("chi-square") and large.statistic == pytest.approx(361 / 60)
    assert large.p_value == pytest.approx(stats.chi2.sf(361 / 60, 1))
    assert mcnemar(0, 0).p_value == 1.0


def _paired(correct_a: list[bool], correct_b: list[bool], **attributes: list) -> pd.DataFrame:
    frame = pd.DataFrame({"language": "hi", "key": [str(i) for i in range(len(correct_a))],
                          "correct_a": correct_a, "correct_b": correct_b,
                          "score_a": np.asarray(correct_a, float), "score_b": np.asarray(correct_b, float),
                          **attributes})
    frame["flip"] = flip_labels(frame.correct_a.to_numpy(), frame.correct_b.to_numpy())
    return frame


def test_flip_table_counts_each_category() -> None:
    paired = _paired([True, True, False, False, True], [False, True, True, False, False])
    table = flip_table(paired).set_index("flip")["n"]
    assert table.to_dict() == {"wrong→right": 2, "right→wrong": 1, "both right": 1, "both wrong": 1}


def test_numeric_buckets_are_quantile_intervals_that_cover_every_value() -> None:
    values = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None])
    edges = bucket_edges(values)
    labels = bucket_labels(values, "words", edges)
    assert edges == [3.0, 5.0, 7.0]  # lower quartile values, so edges are values that occur
    assert list(labels.categories) == ["≤3", "3<…≤5", "5<…≤7", ">7", "n/a"]
    assert list(labels) == ["≤3"] * 3 + ["3<…≤5"] * 2 + ["5<…≤7"] * 2 + [">7"] * 3 + ["n/a"]
    assert bucket_edges(pd.Series([4, 4, 4])) == []  # one value: one bucket
    with pytest.raises(ValueError, match="unknown bucket attribute"):
        bucket_labels(values, "colour")


def test_bucket_scores_give_each_bucket_its_accuracy_gain_interval_and_test() -> None:
    rng = np.random.default_rng(0)
    b = rng.random(400) < 0.5
    a = b | (rng.random(400) < 0.4)  # A fixes many examples, breaks none
    label = np.where(np.arange(400) % 2, "entailment", "neutral")
    table = bucket_scores(_paired(list(a), list(b), label=label), "label", n_boot=500).set_index("bucket")
    assert list(table.index) == ["entailment", "neutral", "all"]
    for bucket, rows in (("entailment", label == "entailment"), ("neutral", label == "neutral"), ("all", label != "")):
        row = table.loc[bucket]
        assert row.n == rows.sum() and row.score_a == pytest.approx(100 * a[rows].mean())
        assert row.gain == pytest.approx(100 * (a[rows].mean() - b[rows].mean()))
        assert row.a_low <= row.score_a <= row.a_high and 0 < row.gain_low <= row.gain <= row.gain_high
        assert row.right_to_wrong == 0 and row.wrong_to_right == (a[rows] & ~b[rows]).sum() and row.p_value < 1e-6
    again = bucket_scores(_paired(list(a), list(b), label=label), "label", n_boot=500)
    assert again.set_index("bucket").equals(table)  # seeded


def test_tagging_buckets_score_the_micro_f1_of_their_sentences_as_seqeval_does() -> None:
    gold = [["B-PER", "I-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"], ["B-PER", "O", "B-LOC"]]
    pred_a = [["B-PER", "I-PER", "O"], ["B-LOC", "O"], ["O", "O"], ["B-PER", "O", "O"]]
    pred_b = [["B-PER", "O", "O"], ["O", "O"], ["O", "B-ORG"], ["B-PER", "O", "B-LOC"]]
    counts = {"a": ([1, 1, 0, 1], [0, 0, 0, 0], [0, 0, 1, 1]), "b": ([0, 0, 1, 2], [1, 0, 0, 0], [1, 1, 0, 0])}
    paired = _paired([True, True, False, False], [False, False, True, True], words=[3, 2, 2, 3])
    for side, (tp, fp, fn) in counts.items():
        paired[f"tp_{side}"], paired[f"fp_{side}"], paired[f"fn_{side}"] = tp, fp, fn
    table = bucket_scores(paired, "words", edges=[2], n_boot=200).set_index("bucket")
    for bucket, rows in (("≤2", [1, 2]), (">2", [0, 3]), ("all", [0, 1, 2, 3])):
        for side, pred in (("a", pred_a), ("b", pred_b)):
            expected = score_task("panx", [pred[i] for i in rows], [gold[i] for i in rows], "en")["f1"]
            assert table.loc[bucket, f"score_{side}"] == pytest.approx(expected)


def test_heatmap_cells_agree_with_the_bucket_table_of_each_language() -> None:
    rng = np.random.default_rng(1)
    frames = []
    for language in ("hi", "sw"):
        frame = _paired(list(rng.random(60) < 0.7), list(rng.random(60) < 0.5), words=rng.integers(3, 30, 60))
        frames.append(frame.assign(language=language))
    paired = pd.concat(frames, ignore_index=True)
    edges = bucket_edges(paired.words)
    cells = gain_by_language(paired, "words", edges).set_index(["language", "bucket"])
    for language, frame in paired.groupby("language"):
        table = bucket_scores(frame, "words", edges, n_boot=50).set_index("bucket")
        for bucket, row in table.drop("all").iterrows():
            assert cells.loc[(language, bucket), "gain"] == pytest.approx(row.gain)
            assert cells.loc[(language, bucket), "n"] == row.n


def test_filters_keep_the_chosen_flips_buckets_and_matching_text() -> None:
    paired = _paired([True, False, True], [False, True, True], words=[2, 10, 10],
                     text_b=["Ein House-Boot", "a dog", "the HOUSE"], gold=["x", "y", "z"])
    assert list(filter_examples(paired, flips=["wrong→right"]).key) == ["0"]
    assert list(filter_examples(paired, attribute="words", buckets=[">2"], edges=[2]).key) == ["1", "2"]
    assert list(filter_examples(paired, search="house").key) == ["0", "2"]


def test_length_falls_back_to_words_where_no_tokenizer_counted_tokens() -> None:
    paired = _paired([True], [False], words=[3], tokens=[None])
    assert resolve_attribute("length", paired) == "words"
    with pytest.raises(ValueError, match="available: words"):
        resolve_attribute("entity_type", paired)


def test_scripts_and_word_counts_follow_the_writing_system() -> None:
    texts = ["The cat sat", "Кошка сидела", "猫坐在垫子上", "बिल्ली बैठी", "القطة جلست", "2024!", "ＡＢＣ", "แมวนั่ง"]
    found = scripts(texts)
    assert found == ["Latin", "Cyrillic", "Han", "Devanagari", "Arabic", "none", "Latin", "Thai"]
    assert word_counts(texts, found) == [3, 2, 6, 2, 2, 1, 1, 7]


def test_entity_attributes_of_a_sentence() -> None:
    assert entity_attributes([("PER", 0, 1), ("LOC", 3, 5)]) == ("LOC+PER", 3, 2)
    assert entity_attributes([]) == ("none", 0, 0)

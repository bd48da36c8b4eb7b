"""The shipped pretraining sizes, read through the one language-code table: joins, gaps and disagreements."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.tasks import get_target_task
from pipeline.typology import LANGUAGES, benchmark_languages, xtreme_code
from pipeline.typology.pretraining import (
    SIZES_CSV,
    corpus_of,
    disagreements,
    pretraining_sizes,
    read_sizes,
    resolve_corpus,
)
from tests.conftest import REPO

XTREME_40 = sorted(pd.read_csv(REPO / "data" / "benchmarks" / "xtreme_task_languages.csv")
                   .query("benchmark == 'xtreme'")["language"].unique())


def test_every_cc100_xtreme_language_joins_and_yoruba_stays_missing() -> None:
    assert len(XTREME_40) == 40
    sizes = pretraining_sizes("xlm-roberta-large", languages=XTREME_40).set_index("language")
    have = sizes.index[sizes["corpus_size"].notna()]
    assert len(have) == 39 and set(XTREME_40) - set(have) == {"yo"}, "Yoruba is not in CC-100"
    assert np.isnan(sizes.loc["yo", "log_size"]) and sizes.loc["yo", "note"] == "no published CC-100 tokens_millions"
    assert sizes.loc["en", "corpus_size"] == 55608 and sizes.loc["en", "log_size"] == pytest.approx(np.log10(55608))
    assert sizes.loc["zh", "corpus_size"] == 259, "XTREME's Chinese is CC-100's Simplified Chinese"
    assert sizes.loc["sw", "source"].startswith("mayhewsw/multilingual-data-stats")


def test_each_model_family_reads_its_own_corpus() -> None:
    assert corpus_of("xlm-roberta-xl").name == "CC-100" and corpus_of("mt5-small").name == "mC4"
    assert corpus_of("bert-base-multilingual-cased").name == "Wikipedia" and corpus_of("tiny-test-model") is None
    mt5 = pretraining_sizes("mt5-base").set_index("language")
    assert mt5.loc["tl", "corpus_size"] == pytest.approx(
        read_sizes().query("model_family == 'mt5' and language_norm == 'fil' and quantity == 'tokens_billions'")
        ["value"].item()), "mC4's Filipino is XTREME's Tagalog"
    assert mt5["corpus_size"].isna().sum() == 2  # Quechua and Wolof
    mbert = pretraining_sizes("mbert")
    assert mbert["corpus_size"].notna().sum() == 21 and (mbert["quantity"] == "articles").all()
    with pytest.raises(ValueError, match="no pretraining corpus is known for 'xlm-mlm-100-1280'; known: xlmr"):
        resolve_corpus("xlm-mlm-100-1280")
    with pytest.raises(ValueError, match="CC-100 has no quantity 'pages'"):
        pretraining_sizes("xlmr", quantity="pages")


def test_code_table_agrees_with_the_shipped_mapping_for_every_row() -> None:
    table = read_sizes()
    mapped = table[table["xtreme_lang"] != ""]
    assert (mapped["code"] == mapped["xtreme_lang"]).all()
    # Languages XTREME-R adds (the file's xtreme_lang covers XTREME's 40) map through the same table.
    assert xtreme_code("ro") == "ro" and xtreme_code("zh-Hant") is None and xtreme_code("hi-Latn") is None
    assert set(table["code"].dropna()) <= set(LANGUAGES)


def test_burmese_takes_the_larger_of_two_rows_and_says_so() -> None:
    burmese = pretraining_sizes("xlmr", languages=["my"]).iloc[0]
    assert burmese["corpus_size"] == 56
    assert burmese["note"].startswith("several values published (56, 15); the larger is used")


def test_swedish_disagreement_is_listed_and_lauscher_s_variant_uses_the_printed_value() -> None:
    listed = disagreements("xlmr")
    swedish = listed[(listed["language"] == "sv") & (listed["quantity"] == "tokens_millions")]
    assert set(swedish["other_value"]) == {77.8} and set(swedish["preferred_value"]) == {12950}
    assert any(swedish["other_source"].str.startswith("Lauscher et al. 2020"))
    lauscher = pretraining_sizes("xlmr", variant="lauscher2020", languages=benchmark_languages())
    assert lauscher["corpus_size"].notna().sum() == 21  # their 23 languages minus hr and sv (not in any benchmark)
    assert set(lauscher.loc[lauscher["corpus_size"].isna(), "note"]) == {
        "no published CC-100 tokens_millions in Lauscher et al. 2020"}


def test_a_table_that_contradicts_the_code_table_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "pretraining_sizes.csv"
    shutil.copy(SIZES_CSV, broken)
    text = broken.read_text(encoding="utf-8").replace(",fil,Filipino,", ",xx,Filipino,", 1)
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="language_norm and xtreme_lang disagree .* for xx"):
        read_sizes(broken)


def test_every_xnli_language_but_none_is_missing_for_xlmr() -> None:
    sizes = pretraining_sizes("xlmr", languages=get_target_task("xnli").languages)
    assert sizes["corpus_size"].notna().all()

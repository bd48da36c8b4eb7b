"""BUCC as XTREME runs it: the official files, bounded-memory mining (exact and approximate), dev-tuned threshold.

Small corpora here; the real-size figures (4×10^5 per side) come from bench/bench_bucc_mining.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.data.bucc import read_bucc
from pipeline.evaluate.mining import IvfSettings, exact_knn, mine, normalized
from pipeline.evaluate.retrieval import bucc_corpus_outputs
from pipeline.metrics import bucc_best_threshold, bucc_f1, mine_candidates, pairs_at_threshold
from pipeline.run.config import load_config
from pipeline.run.runner import run_config
from pipeline.store import ResultsStore
from pipeline.testing.configs import TINY_CONFIG, relocated_config


def _planted(n: int, dim: int, planted: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Clustered float32 embeddings; target row i is a noisy copy of source row i for i < planted."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim))
    x = centres[rng.integers(20, size=n)] + rng.normal(size=(n, dim))
    y = centres[rng.integers(20, size=n)] + rng.normal(size=(n, dim))
    y[:planted] = x[:planted] + 0.3 * rng.normal(size=(planted, dim))
    return x.astype(np.float32), y.astype(np.float32)


def test_chunked_exact_knn_equals_the_full_similarity_matrix() -> None:
    x, y = _planted(300, 16, 50, seed=1)
    x, y = normalized(x), normalized(y)
    sims, inds = exact_knn(x, y, k=4, device="cpu", block_rows=64)  # 5 × 5 blocks
    full = x @ y.T
    expected = np.argsort(-full, axis=1)[:, :4]
    assert (inds == expected).all()
    assert sims == pytest.approx(np.take_along_axis(full, expected, axis=1), abs=1e-6)


def test_exact_mining_equals_the_in_memory_miner() -> None:
    x, y = _planted(500, 24, 100, seed=2)
    reference = mine_candidates(x, y, k=4)
    mined = mine(x, y, k=4, method="exact", device="cpu")
    assert {p[:2] for p in mined} == {p[:2] for p in reference}
    assert all(score > 0 for _, _, score in mined)  # XTREME writes candidates with margin > 0 only
    by_pair = {p[:2]: p[2] for p in reference}
    assert [score for *pair, score in mined] == pytest.approx([by_pair[tuple(pair)] for *pair, _ in mined], rel=1e-5)


def test_approximate_mining_finds_the_planted_pairs() -> None:
    x, y = _planted(1000, 32, 100, seed=3)
    planted = {(str(i), str(i)) for i in range(100)}

    def best_f1(method: str) -> tuple[float, int]:
        mined = mine(x, y, k=4, method=method, device="cpu", ivf=IvfSettings(pca_dim=16, nprobe=4))
        candidates = [(str(s), str(t), score) for s, t, score in mined]
        extracted = pairs_at_threshold(candidates, bucc_best_threshold(candidates, planted))
        return bucc_f1(extracted, planted)["f1"], len(planted & {c[:2] for c in candidates})

    (approximate, found), (exact, _) = best_f1("ivf"), best_f1("exact")
    assert found >= 98  # planted pairs among the candidates, from half the dimensions
    assert approximate >= exact - 3  # the extracted bitext is nearly exact mining's


def test_unknown_mining_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mining method 'faiss'"):
        mine(np.ones((2, 3)), np.ones((2, 3)), method="faiss")


# ------------------------------------------------------------------------------------ the official files

#: (id, sentence) of each side; source i translates English i; "de-9"/"de-10" repeat one sentence under two ids.
_DE = [("de-1", "ein roter hund"), ("de-2", "die blaue katze"), ("de-3", "ein gelber vogel"),
       ("de-9", "zweimal derselbe satz"), ("de-10", "zweimal derselbe satz"), ("de-4", "ganz etwas anderes")]
_EN = [("en-1", "a red dog"), ("en-2", "the blue cat"), ("en-3", "a yellow bird"), ("en-7", "unrelated words here")]
_LEXICON = {"ein": "a", "roter": "red", "hund": "dog", "die": "the", "blaue": "blue", "katze": "cat",
            "gelber": "yellow", "vogel": "bird"}


def write_pair(root: Path, split: str, gold: list[tuple[str, str]], lang: str = "de") -> None:
    """``root/{lang}-en/{lang}-en.{split}.{lang,en,gold}`` as the release lays them out (source lines end in CRLF)."""
    folder = root / f"{lang}-en"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{lang}-en.{split}.{lang}").write_text("".join(f"{i}\t{s}\r\n" for i, s in _DE), encoding="utf-8")
    (folder / f"{lang}-en.{split}.en").write_text("".join(f"{i}\t{s}\n" for i, s in _EN), encoding="utf-8")
    (folder / f"{lang}-en.{split}.gold").write_text("".join(f"{a}\t{b}\n" for a, b in gold), encoding="utf-8")


def _embed(sentences) -> np.ndarray:
    """Bag of English word vectors (German words through a small lexicon): translations embed identically."""
    vocabulary = sorted(set(_LEXICON.values()) | {w for _, s in _EN + _DE for w in s.split()})
    rows = np.zeros((len(sentences), len(vocabulary)))
    for r, sentence in enumerate(sentences):
        for word in sentence.split():
            rows[r, vocabulary.index(_LEXICON.get(word, word))] += 1
    return rows + 0.01


def test_official_files_are_read_with_repeated_sentences_dropped(tmp_path: Path) -> None:
    write_pair(tmp_path, "sample", [("de-1", "en-1"), ("de-2", "en-2")])
    corpus = read_bucc(tmp_path, "de", "sample")
    assert corpus.source.sentences[3] == "zweimal derselbe satz" and corpus.source.ids[3] is None
    assert corpus.source.ids[:3] == ["de-1", "de-2", "de-3"] and len(corpus.source.sentences) == 5
    assert corpus.gold == {("de-1", "en-1"), ("de-2", "en-2")} and corpus.folder == tmp_path / "de-en"


@pytest.mark.parametrize(("breakage", "message"), [
    (lambda root: (root / "de-en" / "de-en.sample.gold").unlink(), "missing BUCC file"),
    (lambda root: (root / "de-en" / "de-en.sample.en").write_text("en-1 a red dog\n", encoding="utf-8"),
     "de-en.sample.en, line 1: expected '<id><TAB><text>'"),
    (lambda root: (root / "de-en" / "de-en.sample.en").write_bytes(b"en-1\ta red dog\nen-2\t\xff\n"),
     "de-en.sample.en: not UTF-8 text"),
    (lambda root: (root / "de-en" / "de-en.sample.gold").write_text("fr-1\ten-9\n", encoding="utf-8"),
     "de-en.sample.gold, line 1: neither 'fr-1' nor 'en-9' is in the corpus"),
])
def test_broken_official_files_are_named(tmp_path: Path, breakage, message: str) -> None:
    write_pair(tmp_path, "sample", [("de-1", "en-1")])
    breakage(tmp_path)
    with pytest.raises(ValueError, match=message):
        read_bucc(tmp_path, "de", "sample")
    with pytest.raises(ValueError, match="no BUCC 2018 files for fr-en"):
        read_bucc(tmp_path, "fr", "sample")


def test_corpus_evaluation_tunes_on_sample_and_extracts_from_training(tmp_path: Path) -> None:
    gold = [("de-1", "en-1"), ("de-2", "en-2"), ("de-3", "en-3")]
    write_pair(tmp_path, "sample", gold)
    write_pair(tmp_path, "training", gold)
    predicted, test_gold = bucc_corpus_outputs(str(tmp_path), "de", _embed, k=2, method="exact", device="cpu")
    # The three translations embed identically and win; the distractors' margins fall below the threshold
    # tuned on the sample gold, and the repeated sentence never yields a pair.
    assert test_gold == set(gold)
    assert predicted == set(gold)
    assert bucc_f1(predicted, test_gold)["f1"] == 100.0


def test_pipeline_mines_the_official_files_with_the_tiny_model(tmp_path: Path) -> None:
    gold = [("de-1", "en-1"), ("de-2", "en-2"), ("de-3", "en-3")]
    write_pair(tmp_path / "bucc2018", "sample", gold)
    write_pair(tmp_path / "bucc2018", "training", gold)
    path = relocated_config(tmp_path, TINY_CONFIG, intermediate=["none"], seeds=[1],
                            targets={"bucc": {"languages": ["de"]}},
                            retrieval={"bucc_dir": str(tmp_path / "bucc2018"), "mining": "exact"})
    store = ResultsStore(tmp_path / "atlas.db")
    run_config(load_config(path), str(path), store)
    rows = store.read_results().set_index("metric")
    # A tiny random model's number (a test artefact); what matters is where it comes from and what is stored.
    assert set(rows.index) == {"f1", "precision", "recall"} and rows["test_artifact"].all()
    assert all("mined from the official BUCC 2018 corpora" in note for note in rows["notes"])
    assert all("BUCC 2018 files in" in note and "(n=3)" in note for note in rows["notes"])

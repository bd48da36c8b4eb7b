"""Zero-shot sentence retrieval with no target training: BUCC 2018 mining and Tatoeba search.

Sentences are embedded by mean pooling over one hidden layer of the (intermediate-trained) encoder
(Phang et al. 2020, A.2, following XTREME/jiant). The protocol string goes into every result's notes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from pipeline.data.bucc import SPLITS, BuccCorpus, read_bucc
from pipeline.data.features import retrieval
from pipeline.evaluate.mining import Method, mine
from pipeline.evaluate.predict import mean_pooled, predict
from pipeline.metrics import bucc_best_threshold, mine_candidates, pairs_at_threshold, top1_retrieval
from pipeline.models.device import DeviceChoice

#: XLM-R Large's retrieval layer in jiant/XTREME-style evaluation (hidden_states[14] of 24 layers).
REFERENCE_LAYER, REFERENCE_DEPTH = 14, 24


def default_layer(num_layers: int) -> int:
    """Layer 14 of 24, scaled to a model of ``num_layers`` layers (at least 1)."""
    return max(1, round(num_layers * REFERENCE_LAYER / REFERENCE_DEPTH))


def protocol(layer: int, num_layers: int, max_length: int, margin_k: int | None = None,
             bucc_dir: str | None = None) -> str:
    """How embeddings were made (and, for BUCC, scored), for a result's notes."""
    text = f"retrieval: mean pooling over non-padding tokens of hidden layer {layer}/{num_layers}, max length {max_length}"
    if margin_k and bucc_dir:
        text += (f"; ratio margin k={margin_k}, candidates with margin > 0, threshold tuned on the sample gold, "
                 f"mined from the official BUCC 2018 corpora in {bucc_dir} (distractors included)")
    elif margin_k:  # the hub's BUCC files hold the gold pairs only, not the full comparable corpora
        text += f"; ratio margin k={margin_k}, threshold tuned on the dev split, mined among gold-pair sentences only"
    return text


def embed(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, sentences: Sequence[str], layer: int,
          max_length: int, batch_size: int, device: DeviceChoice) -> np.ndarray:
    """One embedding row per sentence."""
    rows = retrieval.encode(sentences, tokenizer, max_length)
    return np.stack(predict(model, rows, mean_pooled(layer), batch_size, device, tokenizer.pad_token_id))


def tatoeba_outputs(foreign: np.ndarray, english: np.ndarray) -> tuple[list[int], list[int]]:
    """Tatoeba (retrieved index, gold index) lists: each English sentence retrieves its foreign pair (XTREME's
    direction)."""
    return top1_retrieval(english, foreign).tolist(), list(range(len(english)))


def _candidates(source: np.ndarray, target: np.ndarray, k: int) -> tuple[list[tuple[str, str, float]], set]:
    """Margin-mined (source id, target id, score) candidates and the gold pairs (row i <-> row i).

    As XTREME's ``mine_bitext`` writes them: only pairs with a margin above 0 are candidates.
    """
    mined = [(f"s{i}", f"t{j}", score) for i, j, score in mine_candidates(source, target, k=k, threshold=0.0)]
    return mined, {(f"s{i}", f"t{i}") for i in range(len(source))}


def bucc_outputs(dev: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], k: int
                 ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """BUCC (mined pairs, gold pairs) on ``test`` at the margin threshold that maximises F1 on ``dev`` (each:
    source, target embeddings)."""
    test_candidates, test_gold = _candidates(*test, k)
    return _thresholded(*_candidates(*dev, k), test_candidates), test_gold


def _thresholded(dev_candidates: list[tuple[str, str, float]], dev_gold: set[tuple[str, str]],
                 test_candidates: list[tuple[str, str, float]]) -> set[tuple[str, str]]:
    """The test candidates at or above the margin threshold that maximises F1 on the dev gold (XTREME's
    ``bucc_optimize`` then ``bucc_extract``; 0 without dev candidates)."""
    threshold = bucc_best_threshold(dev_candidates, dev_gold) if dev_candidates else 0.0
    return pairs_at_threshold(test_candidates, threshold)


def _corpus_candidates(corpus: BuccCorpus, embed: Callable[[Sequence[str]], np.ndarray], k: int, method: Method,
                       device: str | None) -> list[tuple[str, str, float]]:
    """(source id, English id, margin) candidates with margin > 0 mined from the whole corpus; sentences under
    several ids are dropped, as XTREME's candidate reader does."""
    mined = mine(embed(corpus.source.sentences), embed(corpus.english.sentences), k=k, threshold=0.0,
                 method=method, device=device)
    source_ids, english_ids = corpus.source.ids, corpus.english.ids
    return [(source_ids[i], english_ids[j], score) for i, j, score in mined
            if source_ids[i] is not None and english_ids[j] is not None]


def bucc_corpus_outputs(folder: str, lang: str, embed: Callable[[Sequence[str]], np.ndarray], k: int,
                        method: Method = "auto", device: str | None = None
                        ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """BUCC as XTREME runs it on the official files: mine the ``sample`` corpus, tune the margin threshold on
    its gold, mine the ``training`` corpus and keep the candidates at or above that threshold.

    Returns (mined pairs, gold pairs) of the training split, the benchmark's test set."""
    dev, test = read_bucc(folder, lang, SPLITS["dev"]), read_bucc(folder, lang, SPLITS["test"])
    candidates = [_corpus_candidates(corpus, embed, k, method, device) for corpus in (dev, test)]
    return _thresholded(candidates[0], dev.gold, candidates[1]), test.gold

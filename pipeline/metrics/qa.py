"""Extractive-QA token F1 and exact match, as the XTREME scorers compute them.

* XQuAD and TyDiQA-GoldP use the SQuAD v1.1 script (XTREME ``third_party/evaluate_squad.py``) for every
  language: lowercase, drop ASCII punctuation, drop English articles, split on whitespace.
* MLQA uses its own script (facebookresearch/MLQA ``mlqa_evaluation_v1.py``, copied as XTREME
  ``third_party/evaluate_mlqa.py``): Unicode punctuation, per-language articles, and character-level
  segmentation of CJK ideographs for Chinese.

Both scripts share the aggregation reproduced by ``_f1_em``: best score over the gold answers, mean over
the reference questions, a question without a prediction scores 0 (the scripts print a warning; we log one).
An empty normalised prediction and gold give EM 1 but F1 0, as in the scripts.
"""

from __future__ import annotations

import logging
import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import cache

logger = logging.getLogger(__name__)

_ASCII_PUNCT_TABLE = str.maketrans("", "", string.punctuation)
_EN_ARTICLES = re.compile(r"\b(a|an|the)\b")

#: Answer languages the MLQA scorer knows (it raises on any other).
MLQA_LANGUAGES = ("ar", "de", "en", "es", "hi", "vi", "zh")

# Per-language article patterns of the MLQA scorer; hi and zh have none.
_MLQA_ARTICLES = {
    "en": _EN_ARTICLES,
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    # The scorer's pattern is '\sال^|ال'; its first branch can never match (``^`` after text), so in effect
    # every "ال" is replaced by a space, also inside words ("مال" -> "م").
    "ar": re.compile("ال"),
}
# Tokens of the MLQA mixed segmentation: one CJK ideograph (U+4E00–U+9FA5, the scorer's range) or a run of
# other non-space characters. Same split as the scorer, whose punctuation branch is dead after punctuation removal.
_MIXED_TOKENS = re.compile(r"[\u4e00-\u9fa5]|[^\s\u4e00-\u9fa5]+")


@cache
def _unicode_punct_table() -> dict[int, None]:
    """Deletion table for every code point of Unicode category P* plus ASCII ``string.punctuation``."""
    table: dict[int, None] = {cp: None for cp in range(sys.maxunicode) if unicodedata.category(chr(cp)).startswith("P")}
    table.update((ord(ch), None) for ch in string.punctuation)
    return table


def normalize_squad_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lowercase, no ASCII punctuation, no a/an/the, single spaces."""
    text = text.lower().translate(_ASCII_PUNCT_TABLE)
    return " ".join(_EN_ARTICLES.sub(" ", text).split())


def _check_mlqa_language(lang: str | None) -> str:
    if lang not in MLQA_LANGUAGES:
        raise ValueError(f"MLQA scoring needs the answer language, one of {', '.join(MLQA_LANGUAGES)}; got {lang!r}")
    return lang


def normalize_mlqa_answer(text: str, lang: str) -> str:
    """MLQA normalisation for answer language ``lang``: lowercase, no Unicode punctuation, no articles, tokens."""
    _check_mlqa_language(lang)
    text = text.lower().translate(_unicode_punct_table())
    if lang in _MLQA_ARTICLES:
        text = _MLQA_ARTICLES[lang].sub(" ", text)
    tokens = _MIXED_TOKENS.findall(text) if lang == "zh" else text.split()
    return " ".join(tokens)


def _token_f1(prediction: list[str], gold: list[str]) -> float:
    common = sum((Counter(prediction) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision = common / len(prediction)
    recall = common / len(gold)
    return 2 * precision * recall / (precision + recall)


def _f1_em(
    predictions: Mapping[str, str], references: Mapping[str, Sequence[str]], normalize: Callable[[str], str]
) -> dict[str, float]:
    if not references:
        raise ValueError("QA scoring: no reference questions to score")
    f1 = em = 0.0
    missing = 0
    for qid, golds in references.items():
        if isinstance(golds, str) or len(golds) == 0:
            raise ValueError(f"QA scoring: question {qid!r} needs a non-empty list of gold answers, got {golds!r}")
        if qid not in predictions:
            missing += 1
            continue
        pred = normalize(predictions[qid])
        normed_golds = [normalize(g) for g in golds]
        em += max(pred == g for g in normed_golds)
        f1 += max(_token_f1(pred.split(), g.split()) for g in normed_golds)
    if missing:
        logger.warning("%d of %d questions have no prediction and score 0", missing, len(references))
    return {"f1": 100.0 * f1 / len(references), "em": 100.0 * em / len(references)}


def squad_f1_em(predictions: Mapping[str, str], references: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """SQuAD v1.1 F1 and EM (0–100) of ``{qid: answer}`` against ``{qid: [gold answers]}`` (XQuAD, TyDiQA)."""
    return _f1_em(predictions, references, normalize_squad_answer)


def mlqa_f1_em(
    predictions: Mapping[str, str], references: Mapping[str, Sequence[str]], lang: str
) -> dict[str, float]:
    """MLQA F1 and EM (0–100) with the normalisation of answer language ``lang``."""
    _check_mlqa_language(lang)
    return _f1_em(predictions, references, lambda text: normalize_mlqa_answer(text, lang))

"""Tiny fixture datasets in the exact column schema of the hub datasets the registry names.

They are written as a local mirror (``<root>/<dataset>/<config>/<split>.jsonl``, see
``pipeline.data.load``) so a run on them uses the same loading code as a run on the hub. Contents are
synthetic, deterministic and structured enough for a model to pick up a little signal; they are test
data, not a benchmark.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from pathlib import Path

from pipeline.testing.text import WORDS, join, sentence, word_indices, words

N_TRAIN, N_DEV, N_TEST = 32, 8, 8
#: Languages of the XNLI translate-train fixture (multi-language intermediate training).
TRANSLATE_TRAIN_LANGUAGES = ("en", "de", "fr", "ru")
#: The code-switching lexicon, relative to the fixture root.
LEXICON = "lexicons/fixture.tsv"
_LANG_NAMES = {"en": "english", "ar": "arabic", "ru": "russian"}
_UD_NAMES = {"en": "English", "de": "German", "hi": "Hindi"}
_TATOEBA = {"de": "deu", "ru": "rus", "zh": "cmn"}
_NLI_LABELS = ("entailment", "neutral", "contradiction")
#: Coarse POS of each word index of ``text.WORDS`` (indices into UD-POS's 17 tags, registry order).
_POS = (5, 7, 7, 7, 0, 0, 7, 15, 7, 0, 7, 15, 7, 7, 7, 7, 7, 2, 15, 7, 7, 7, 15, 7)
#: Entity type of word indices (PAN-X ids: PER=1, ORG=3, LOC=5 for B-; +1 for I-).
_ENTITY = {1: 5, 2: 5, 3: 5, 23: 5, 6: 1, 13: 1, 21: 1, 14: 3}


def _write(root: Path, dataset: str, config: str | None, split: str, rows: Iterable[dict]) -> None:
    path = root / dataset / (config or "default") / f"{split}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _splits(n_by_split: dict[str, int], make: Callable[[str, int], dict]) -> dict[str, list[dict]]:
    return {split: [make(split, i) for i in range(n)] for split, n in n_by_split.items()}


def _nli_pair(lang: str, key: str) -> tuple[str, str, int]:
    idx = word_indices(key, 6, 10)
    label = random.Random(key).randrange(3)
    if label == 0:  # entailment: the hypothesis restates part of the premise
        hyp = idx[: len(idx) // 2 + 1]
    elif label == 1:  # neutral: an unrelated sentence
        hyp = word_indices(key + "-other", 3, 6)
    else:  # contradiction: the premise reversed
        hyp = idx[::-1]
    return join(lang, words(lang, idx)), join(lang, words(lang, hyp)), label


def _xnli(root: Path) -> None:
    for split in ("validation", "test"):
        rows = []
        for lang in ("en", "ru", "zh"):
            for i in range(N_DEV):
                a, b, label = _nli_pair(lang, f"xnli-{split}-{i}")
                rows.append({"language": lang, "sentence1": a, "sentence2": b, "gold_label": _NLI_LABELS[label]})
        _write(root, "google/xtreme", "XNLI", split, rows)


def _mnli(root: Path) -> None:
    def make(split: str, i: int) -> dict:
        a, b, label = _nli_pair("en", f"mnli-{split}-{i}")
        return {"promptID": i, "pairID": f"{i}e", "premise": a, "premise_binary_parse": "", "premise_parse": "",
                "hypothesis": b, "hypothesis_binary_parse": "", "hypothesis_parse": "", "genre": "fiction",
                "label": label}

    for split, rows in _splits({"train": N_TRAIN, "validation_matched": N_DEV}, make).items():
        _write(root, "nyu-mll/multi_nli", None, split, rows)


def _xnli_translate_train(root: Path) -> None:
    for lang in TRANSLATE_TRAIN_LANGUAGES:
        for split, n in (("train", N_TRAIN), ("validation", N_DEV)):
            rows = []
            for i in range(n):
                a, b, label = _nli_pair(lang, f"xnli-mt-{split}-{i}")
                rows.append({"premise": a, "hypothesis": b, "label": label})
            _write(root, "facebook/xnli", lang, split, rows)


def _pawsx(root: Path) -> None:
    for lang in ("en", "de", "zh"):
        def make(split: str, i: int, lang: str = lang) -> dict:
            key = f"pawsx-{split}-{i}"
            idx = word_indices(key, 5, 9)
            label = random.Random(key).randrange(2)
            other = idx[1:] + idx[:1] if label else word_indices(key + "-b", 5, 9)
            return {"sentence1": join(lang, words(lang, idx)), "sentence2": join(lang, words(lang, other)),
                    "label": str(label)}

        for split, rows in _splits({"train": N_TRAIN, "validation": N_DEV, "test": N_TEST}, make).items():
            _write(root, "google/xtreme", f"PAWS-X.{lang}", split, rows)


def _ner_tags(idx: list[int]) -> list[int]:
    tags, previous = [], 0
    for i in idx:
        begin = _ENTITY.get(i, 0)
        tag = begin + 1 if begin and previous in (begin, begin + 1) else begin
        tags.append(tag)
        previous = tag
    return tags


def _tagging(root: Path) -> None:
    for lang in ("en", "de", "ru"):
        def make(split: str, i: int, lang: str = lang) -> dict:
            idx = word_indices(f"panx-{split}-{i}", 3, 9)
            return {"tokens": words(lang, idx), "ner_tags": _ner_tags(idx), "langs": [lang] * len(idx)}

        for split, rows in _splits({"train": N_TRAIN, "validation": N_DEV, "test": N_TEST}, make).items():
            _write(root, "google/xtreme", f"PAN-X.{lang}", split, rows)
    for lang, name in _UD_NAMES.items():
        def make(split: str, i: int, lang: str = lang) -> dict:
            idx = word_indices(f"udpos-{split}-{i}", 3, 9)
            return {"tokens": words(lang, idx), "pos_tags": [_POS[j] for j in idx]}

        for split, rows in _splits({"train": N_TRAIN, "validation": N_DEV, "test": N_TEST}, make).items():
            _write(root, "google/xtreme", f"udpos.{name}", split, rows)


def _qa_example(lang: str, key: str, qid: str) -> dict:
    """A context of two sentences, a question made of words around the answer, and the answer's offset."""
    first, second = word_indices(key + "-a", 5, 8), word_indices(key + "-b", 5, 8)
    rng = random.Random(key)
    start = rng.randrange(len(second) - 1)
    answer = join(lang, words(lang, second[start : start + rng.randint(1, 2)]))
    sep = "" if lang == "zh" else " "
    prefix = join(lang, words(lang, first)) + ("。" if lang == "zh" else " . ")
    before = join(lang, words(lang, second[:start]))
    context = prefix + join(lang, words(lang, second)) + ("。" if lang == "zh" else " .")
    answer_start = len(prefix) + len(before) + (len(sep) if before else 0)
    assert context[answer_start : answer_start + len(answer)] == answer
    question = join(lang, words(lang, second[max(0, start - 2) : start] + first[:2]))
    return {"id": qid, "title": "fixture", "context": context, "question": question,
            "answers": {"answer_start": [answer_start], "text": [answer]}}


def _qa(root: Path) -> None:
    squad = _splits({"train": N_TRAIN, "validation": N_DEV},
                    lambda split, i: _qa_example("en", f"squad-{split}-{i}", f"squad-{split}-{i}"))
    for split, rows in squad.items():
        _write(root, "rajpurkar/squad", None, split, rows)
    for lang in ("en", "ru", "zh"):
        rows = [_qa_example(lang, f"xquad-{i}", f"xquad-{i}") for i in range(N_TEST)]
        _write(root, "google/xtreme", f"XQuAD.{lang}", "validation", rows)
    for lang in ("en", "ar", "zh"):
        for split in ("validation", "test"):
            rows = [_qa_example(lang, f"mlqa-{split}-{i}", f"mlqa-{lang}-{split}-{i}") for i in range(N_TEST)]
            _write(root, "google/xtreme", f"MLQA.{lang}.{lang}", split, rows)
    for split, n in (("train", N_TRAIN), ("validation", N_DEV)):
        rows = [_qa_example(lang, f"tydiqa-{split}-{lang}-{i}", f"{name}-{split}-{i}")
                for lang, name in _LANG_NAMES.items() for i in range(n if lang == "en" or split != "train" else 2)]
        _write(root, "google/xtreme", "tydiqa", split, rows)


def _retrieval(root: Path) -> None:
    for lang in ("de", "ru", "zh"):
        for split, n in (("validation", N_DEV), ("test", 2 * N_TEST)):
            rows = []
            for i in range(n):
                idx = word_indices(f"bucc-{split}-{i}", 4, 9)
                rows.append({"source_sentence": join(lang, words(lang, idx)),
                             "target_sentence": join("en", words("en", idx)), "source_lang": lang,
                             "target_lang": "en"})
            _write(root, "google/xtreme", f"bucc18.{lang}", split, rows)
        rows = []
        for i in range(2 * N_TEST):
            idx = word_indices(f"tatoeba-{i}", 4, 9)
            rows.append({"source_sentence": join(lang, words(lang, idx)),
                         "target_sentence": join("en", words("en", idx)), "source_lang": _TATOEBA[lang],
                         "target_lang": "eng"})
        _write(root, "google/xtreme", f"tatoeba.{_TATOEBA[lang]}", "validation", rows)


def _copa(lang: str, key: str) -> dict:
    """A premise, the 'cause'/'effect' question and two choices; the right one shares the premise's words."""
    idx = word_indices(key, 5, 8)
    rng = random.Random(key)
    label = rng.randrange(2)
    choices = [sentence(lang, f"{key}-wrong", 3, 5)] * 2
    choices[label] = join(lang, words(lang, idx[-3:]))
    return {"premise": join(lang, words(lang, idx[:-3])), "choice1": choices[0], "choice2": choices[1],
            "question": rng.choice(("cause", "effect")), "label": label}


def _xcopa(root: Path) -> None:
    copa = _splits({"train": N_TRAIN, "test": N_DEV}, lambda split, i: {"id": i, **_copa("en", f"copa-{split}-{i}"),
                                                                         "mirrored": False})
    for split, rows in copa.items():
        _write(root, "pkavumba/balanced-copa", None, split, rows)
    for lang, words_of in (("zh", "zh"), ("it", "fr")):  # Italian items are built from the French word list
        for split, n in (("validation", N_DEV), ("test", N_TEST)):
            rows = [{**_copa(words_of, f"xcopa-{lang}-{split}-{i}"), "idx": i, "changed": False} for i in range(n)]
            _write(root, "cambridgeltl/xcopa", lang, split, rows)


def _hellaswag(root: Path) -> None:
    def make(split: str, i: int) -> dict:
        key = f"hellaswag-{split}-{i}"
        idx = word_indices(key, 6, 10)
        label = random.Random(key).randrange(4)
        endings = [sentence("en", f"{key}-ending-{j}", 3, 5) for j in range(4)]
        endings[label] = join("en", words("en", idx[-3:]))  # the true ending continues the context
        ctx_a = join("en", words("en", idx[:-3]))
        return {"ind": i, "activity_label": "Fixture", "ctx_a": ctx_a, "ctx_b": "", "ctx": ctx_a,
                "endings": endings, "source_id": key, "split": split.replace("validation", "val"),
                "split_type": "indomain", "label": str(label)}

    for split, rows in _splits({"train": N_TRAIN, "validation": N_DEV}, make).items():
        _write(root, "Rowan/hellaswag", None, split, rows)


def _lexicon(root: Path) -> None:
    """A bilingual word list in ``pipeline.perturb.lexicon``'s format: every fixture word to English and back,
    so code-switching has words to substitute in every fixture language."""
    lines = ["src_lang\tsrc_word\ttgt_lang\ttgt_word"]
    for lang in (lang for lang in WORDS if lang != "en"):
        pairs = sorted(set(zip(WORDS[lang], WORDS["en"])))
        lines += [f"{lang}\t{word}\ten\t{english}" for word, english in pairs]
        lines += [f"en\t{english}\t{lang}\t{word}" for word, english in pairs]
    path = root / LEXICON
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _wikipedia(root: Path) -> None:
    for lang in ("en", "de", "zh", "ru", "ar", "hi"):
        rows = [{"id": str(i), "url": f"https://{lang}.wikipedia.org/wiki?curid={i}", "title": f"fixture {i}",
                 "text": "\n".join(sentence(lang, f"wiki-{lang}-{i}-{j}") for j in range(3))}
                for i in range(N_TRAIN)]
        _write(root, "wikimedia/wikipedia", f"20231101.{lang}", "train", rows)


BUILDERS = (_xnli, _mnli, _xnli_translate_train, _pawsx, _tagging, _qa, _retrieval, _xcopa, _hellaswag, _lexicon,
            _wikipedia)
#: Languages the fixtures hold, per target task (for tiny configs and tests).
FIXTURE_LANGUAGES = {
    "xnli": ("en", "ru", "zh"), "pawsx": ("en", "de", "zh"), "panx": ("en", "de", "ru"),
    "udpos": ("en", "de", "hi"), "xquad": ("en", "ru", "zh"), "mlqa": ("en", "ar", "zh"),
    "tydiqa": ("en", "ar", "ru"), "bucc": ("de", "ru", "zh"), "tatoeba": ("de", "ru", "zh"), "xcopa": ("it", "zh"),
}
MLM_LANGUAGES = ("en", "de", "zh", "ru", "ar", "hi")
#: File written last by ``build_fixture_data``, holding ``FIXTURE_VERSION``. Bump the version when a builder
#: changes, so folders built before are rebuilt by ``needs_fixture_build``'s callers.
MARKER = "atlas_fixture_data.json"
FIXTURE_VERSION = 2
#: A file every fixture build holds, and how many lines it has at most (the hub's XNLI dev set has 37,350).
_PROBE, _PROBE_LINES = Path("google/xtreme/XNLI/validation.jsonl"), 3 * N_DEV


def build_fixture_data(root: str | Path) -> Path:
    """Write every fixture dataset under ``root``; returns ``root``."""
    out = Path(root)
    for build in BUILDERS:
        build(out)
    (out / MARKER).write_text(json.dumps({"version": FIXTURE_VERSION}) + "\n", encoding="utf-8")
    return out


def _is_old_fixture_build(root: Path) -> bool:
    """A folder built before markers existed: it holds the fixture's tiny XNLI dev file (never a real mirror,
    which must not be overwritten)."""
    probe = root / _PROBE
    if not probe.is_file():
        return False
    with probe.open(encoding="utf-8") as fh:
        return sum(1 for _ in zip(range(_PROBE_LINES + 1), fh)) <= _PROBE_LINES


def needs_fixture_build(root: str | Path) -> bool:
    """Whether ``root`` is missing or holds fixture data of an older version (which lacks newer datasets)."""
    root = Path(root)
    marker = root / MARKER
    if marker.is_file():
        return json.loads(marker.read_text(encoding="utf-8")).get("version") != FIXTURE_VERSION
    return not root.exists() or _is_old_fixture_build(root)


__all__ = ["FIXTURE_LANGUAGES", "LEXICON", "MLM_LANGUAGES", "TRANSLATE_TRAIN_LANGUAGES", "WORDS",
           "build_fixture_data", "needs_fixture_build"]

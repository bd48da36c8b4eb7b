"""Perturbations of evaluation inputs: reproducible, at the rate asked for, inside the script, labels kept."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest
from datasets import Dataset
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.perturb import (
    PERTURBATIONS,
    Context,
    Perturber,
    PerturbationSpec,
    format_perturbation,
    parse_lexicon,
    parse_perturbation,
    perturb_examples,
    perturb_text,
    read_lexicon,
)
from pipeline.perturb.aligned import INSERTED
from pipeline.perturb.text import script_of, word_spans
from pipeline.store import validate_rows

LEXICON = read_lexicon(Path(__file__).parent / "fixtures" / "lexicon" / "tiny.tsv")
#: Single-code-point letters of several scripts (no combining marks), for rate measurements.
ALPHABETS: dict[str, str] = {
    "en": "abcdefghijklmnopqrstuvwxyz",
    "ru": "абвгдежзийклмнопрстуфхцчшщыэюя",
    "el": "αβγδεζηθικλμνξοπρστυφχψω",
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "hi": "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह",
    "zh": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
}
#: The same, plus combining marks, so clusters (consonant + vowel sign, letter + accent) occur.
MARKED = {"hi": ALPHABETS["hi"] + "\u093f\u093e\u094d", "en": ALPHABETS["en"] + "\u0301\u0308", "ru": ALPHABETS["ru"]}
NAMES = sorted(PERTURBATIONS)


def context(lang: str) -> Context:
    return Context(lang, lexicon=LEXICON)


def words_text(lang: str, n_words: int, seed: int, alphabet: str | None = None) -> str:
    """``n_words`` random five-letter words of ``lang``'s alphabet, separated by spaces."""
    rng = random.Random(seed)
    letters = alphabet or ALPHABETS[lang]
    return " ".join("".join(rng.choice(letters) for _ in range(5)) for _ in range(n_words))


def within(observed: float, p: float, n: int) -> bool:
    """``observed`` within five binomial standard errors (plus a rounding slack) of ``p``."""
    return abs(observed - p) <= 5 * (p * (1 - p) / n) ** 0.5 + 0.01


# --------------------------------------------------------------------------- spec


@settings(deadline=None)  # the first validate_rows call loads the task registry
@given(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), st.floats(0, 1))
def test_spec_round_trips_through_its_text_and_the_store_accepts_it(name: str, strength: float) -> None:
    spec = PerturbationSpec(name, strength)
    text = format_perturbation(spec)
    assert parse_perturbation(text) == spec and "e" not in text.split("@")[1]
    row = {"run_id": "r", "source": "run", "model": "xlm-roberta-base", "intermediate_task": "none",
           "target_task": "xnli", "language": "de", "metric": "accuracy", "value": 50.0, "split": "test",
           "setting": "zero-shot", "perturbation": text}
    assert validate_rows([row])[0]["perturbation"] == text


@pytest.mark.parametrize("text", ["char_noise", "char_noise@1.5", "Char@0.1", "char_noise@-0.1", "x@"])
def test_malformed_or_out_of_range_specs_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_perturbation(text)


def test_unknown_names_and_missing_lexicons_are_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="char_noise"):
        Perturber(parse_perturbation("typos@0.1"), "de")
    with pytest.raises(ValueError, match="lexicon"):
        Perturber(parse_perturbation("code_switch@0.5"), "de")


# --------------------------------------------------------------------------- determinism


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(NAMES), st.floats(0.05, 1), st.integers(0, 2**32), st.sampled_from(sorted(ALPHABETS)))
def test_same_seed_same_output_in_any_order(name: str, strength: float, seed: int, lang: str) -> None:
    texts = [words_text(lang, 12, seed + i) for i in range(4)]
    perturber = Perturber(PerturbationSpec(name, strength), lang, seed=seed, lexicon=LEXICON)
    examples = [{"text_a": t, "text_b": t[::-1], "label": i} for i, t in enumerate(texts)]
    forward = perturb_examples(examples, "sentence_pair_classification", perturber).examples
    backward = perturb_examples(examples[::-1], "sentence_pair_classification", perturber).examples
    assert forward == backward[::-1]
    assert [e["label"] for e in forward] == [0, 1, 2, 3]


def test_different_seeds_give_different_noise() -> None:
    text = words_text("en", 40, 0)
    outputs = {perturb_text(text, "char_noise@0.2", context("en"), seed=s).text for s in range(5)}
    assert len(outputs) == 5


@pytest.mark.parametrize("name", NAMES)
def test_strength_zero_changes_nothing(name: str) -> None:
    text = "Der Lehrer schreibt ein Buch, über das Haus."
    assert perturb_text(text, PerturbationSpec(name, 0.0), context("de")).text == text


# --------------------------------------------------------------------------- rates


@settings(max_examples=25, deadline=None)
@given(st.floats(0.02, 0.95), st.integers(0, 2**32), st.sampled_from(sorted(ALPHABETS)))
def test_character_edit_rates_are_honoured_in_expectation(p: float, seed: int, lang: str) -> None:
    text = words_text(lang, 600, seed)
    n_letters = sum(c != " " for c in text)
    spec = lambda name: PerturbationSpec(name, p)  # noqa: E731
    substituted = perturb_text(text, spec("char_substitute"), context(lang), seed).text
    assert len(substituted) == len(text)
    assert within(sum(a != b for a, b in zip(text, substituted)) / n_letters, p, n_letters)
    deleted = perturb_text(text, spec("char_delete"), context(lang), seed).text
    assert within((len(text) - len(deleted)) / n_letters, p, n_letters)
    inserted = perturb_text(text, spec("char_insert"), context(lang), seed).text
    assert within((len(inserted) - len(text)) / n_letters, p, n_letters)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.02, 1), st.integers(0, 2**32))
def test_whitespace_noise_flips_each_boundary_with_half_the_strength(s: float, seed: int) -> None:
    text = words_text("en", 500, seed)
    aligned = perturb_text(text, PerturbationSpec("whitespace", s), context("en"), seed)
    spaces = [i for i, c in enumerate(text) if c == " "]
    removed = len(set(spaces) - set(aligned.origin))
    inserted = aligned.origin.count(INSERTED)
    letter_boundaries = 4 * 500
    assert within(removed / len(spaces), s / 2, len(spaces))
    assert within(inserted / letter_boundaries, s / 2, letter_boundaries)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.02, 1), st.integers(0, 2**32))
def test_whitespace_noise_splits_text_written_without_spaces(s: float, seed: int) -> None:
    text = "".join(random.Random(seed).choice(ALPHABETS["zh"]) for _ in range(2000))
    out = perturb_text(text, PerturbationSpec("whitespace", s), context("zh"), seed).text
    assert out.replace(" ", "") == text
    assert within(out.count(" ") / 1999, s / 2, 1999)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.02, 1), st.integers(0, 2**32))
def test_stripping_and_code_switching_rates(p: float, seed: int) -> None:
    rng = random.Random(seed)
    accented = " ".join(rng.choice(["é", "ü", "ñ", "å", "ç"]) + "a" for _ in range(1500))
    stripped = perturb_text(accented, PerturbationSpec("strip_diacritics", p), context("fr"), seed).text
    assert len(stripped) == len(accented)
    assert within(sum(a != b for a, b in zip(accented, stripped)) / 1500, p, 1500)
    punctuated = " ".join(rng.choice(["a,", "b.", "c!", "d?"]) for _ in range(1500))
    unpunctuated = perturb_text(punctuated, PerturbationSpec("strip_punctuation", p), context("en"), seed).text
    assert within((len(punctuated) - len(unpunctuated)) / 1500, p, 1500)
    german = " ".join(rng.choice(["Haus", "Fluss", "Stadt"]) for _ in range(1500))
    switched = perturb_text(german, PerturbationSpec("code_switch", p), context("de"), seed).text.split()
    assert within(sum(w.lower() in {"house", "river", "city"} for w in switched) / 1500, p, 1500)


# --------------------------------------------------------------------------- scripts


def test_script_of_names_the_script_of_letters_only() -> None:
    expected = {"a": "LATIN", "Ä": "LATIN", "ж": "CYRILLIC", "ω": "GREEK", "ب": "ARABIC", "न": "DEVANAGARI",
                "中": "HAN", "あ": "HIRAGANA", "가": "HANGUL", "ก": "THAI", "Ａ": "LATIN"}
    assert {c: script_of(c) for c in expected} == expected
    assert script_of("1") is script_of(",") is script_of(" ") is script_of("\u093f") is None


def _nearest_letter_before(text: str, index: int) -> str:
    return next(c for c in reversed(text[:index]) if unicodedata.category(c).startswith("L"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(MARKED)), min_size=1, max_size=3).flatmap(
        lambda langs: st.text(st.sampled_from(sorted(set("".join(MARKED[l] for l in langs) + " "))), min_size=1,
                              max_size=120)
    ),
    st.sampled_from(["char_noise", "char_substitute", "char_insert"]),
    st.floats(0.1, 1),
    st.integers(0, 1000),
)
def test_new_letters_come_from_the_script_of_the_letter_they_replace_or_follow(
    text: str, name: str, p: float, seed: int
) -> None:
    aligned = perturb_text(text, PerturbationSpec(name, p), context("xx"), seed)
    for j, (char, origin) in enumerate(zip(aligned.text, aligned.origin)):
        if not unicodedata.category(char).startswith("L"):
            continue
        if origin == INSERTED:
            assert script_of(char) == script_of(_nearest_letter_before(aligned.text, j))
        else:
            assert script_of(char) == script_of(text[origin])


def test_marks_stay_on_a_letter_of_their_script() -> None:
    text = "किताब पानी " * 30
    out = perturb_text(text, "char_noise@0.8", context("hi"), seed=3).text
    for i, char in enumerate(out):
        if unicodedata.category(char).startswith("M"):
            assert i > 0 and script_of(_nearest_letter_before(out, i)) == "DEVANAGARI" and out[i - 1] != " "


def test_diacritics_are_stripped_but_indic_vowel_signs_are_not() -> None:
    ctx = Context("xx")
    assert perturb_text("Élève ŝtrøm Việt ё", "strip_diacritics@1", ctx).text == "Eleve strom Viet е"
    assert perturb_text("किताब كِتَاب", "strip_diacritics@1", ctx).text == "किताब كتاب"


# --------------------------------------------------------------------------- words and lexicon


def test_word_spans_treat_no_space_scripts_character_by_character() -> None:
    text = "我用iPhone写书"
    assert [text[s:e] for s, e in word_spans(text, "zh")] == ["我", "用", "iPhone", "写", "书"]
    hindi = "हिंदी घर, 42"
    assert [hindi[s:e] for s, e in word_spans(hindi, "hi")] == ["हिंदी", "घर", "42"]


def test_code_switch_uses_longest_matches_without_spaces_and_capitalises_sentence_starts() -> None:
    assert perturb_text("这房子在河边", "code_switch@1", context("zh")).text == "这house在river边"
    assert perturb_text("Haus und Haus. Haus", "code_switch@1", context("de")).text == "House und house. House"
    only_french = Context("de", lexicon=LEXICON, switch_to="fr")
    assert perturb_text("Das Kind im Haus", "code_switch@1", only_french).text == "Das enfant im Haus"


def test_lexicon_errors_name_their_lines() -> None:
    with pytest.raises(ValueError, match="line 2.*4 non-empty") as error:
        parse_lexicon(["de\tHaus\ten\thouse", "de\tHaus\ten", "DE\tx\ten\ty", "de\thaus\ten\thouse"])
    assert "line 3" in str(error.value) and "line 4: duplicate" in str(error.value)
    assert len(LEXICON) == 22 and LEXICON.target_languages("de") == ("en", "fr")


# --------------------------------------------------------------------------- labels


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(st.sampled_from("abcdéü,.дом中"), min_size=1, max_size=6), min_size=1, max_size=15),
    st.sampled_from(NAMES),
    st.floats(0.1, 1),
)
def test_tagging_keeps_one_tag_per_token_and_moves_tags_with_their_tokens(
    tokens: list[str], name: str, strength: float
) -> None:
    tags = [f"T{i}" for i in range(len(tokens))]
    perturber = Perturber(PerturbationSpec(name, strength), "de", lexicon=LEXICON)
    out = perturber.tagged({"tokens": tokens, "tags": tags})
    assert len(out["tokens"]) == len(out["tags"]) == len(tokens)
    assert all(token.strip() for token in out["tokens"])
    if PERTURBATIONS[name].moves_words:
        assert sorted(zip(out["tags"], out["tokens"])) == sorted(zip(tags, tokens))
    else:
        assert out["tags"] == tags


def test_multiple_choice_and_retrieval_keep_labels_and_the_english_side() -> None:
    perturber = Perturber(parse_perturbation("char_noise@0.5"), "de", seed=1)
    choice = perturber.choices({"context": "Das Haus ist alt.", "choices": ["Es ist neu.", "Es ist alt."], "label": 1})
    assert choice["label"] == 1 and choice["choices"] != ["Es ist neu.", "Es ist alt."]
    pair = perturber.retrieval({"source": "Das Haus ist alt.", "target": "The house is old."})
    assert pair["target"] == "The house is old." and pair["source"] != "Das Haus ist alt."


# --------------------------------------------------------------------------- QA answers


@st.composite
def qa_examples(draw: st.DrawFn) -> dict:
    """A context of random words (several scripts, punctuation) and a gold answer of one or more whole words."""
    word = st.text(st.sampled_from("abcéüдомक\u093f中国,."), min_size=1, max_size=7).filter(lambda w: w[0] not in "\u093f")
    words = draw(st.lists(word, min_size=2, max_size=25))
    first = draw(st.integers(0, len(words) - 1))
    last = draw(st.integers(first, min(len(words) - 1, first + 3)))
    start = len(" ".join(words[:first])) + (1 if first else 0)
    answer = " ".join(words[first:last + 1])
    return {"id": "q", "context": " ".join(words), "question": "Wo ist das Haus?", "answer_text": [answer],
            "answer_start": [start]}


@settings(max_examples=80, deadline=None)
@given(qa_examples(), st.sampled_from(NAMES), st.floats(0.05, 1), st.integers(0, 100))
def test_kept_answers_are_found_at_their_remapped_offsets(example: dict, name: str, strength: float, seed: int) -> None:
    out = Perturber(PerturbationSpec(name, strength), "de", seed=seed, lexicon=LEXICON).qa(example)
    if out is None:
        return
    (text,), (start,) = out["answer_text"], out["answer_start"]
    assert text.strip() and out["context"][start:start + len(text)] == text


@settings(max_examples=40, deadline=None)
@given(qa_examples(), st.floats(0.05, 1), st.integers(0, 100))
def test_answers_untouched_by_a_perturbation_survive_it_unchanged(example: dict, strength: float, seed: int) -> None:
    answer = example["answer_text"][0]
    if any(unicodedata.category(c).startswith("P") for c in answer):
        return
    out = Perturber(PerturbationSpec("strip_punctuation", strength), "de", seed=seed).qa(example)
    assert out is not None and out["answer_text"] == [answer]
    if len(answer.split()) == 1:  # a one-word answer moved by a word swap is still the same word
        swapped = Perturber(PerturbationSpec("word_swap", strength), "de", seed=seed).qa(example)
        assert swapped is not None and swapped["answer_text"] == [answer]


def test_unkeepable_answers_drop_their_example_and_are_counted() -> None:
    rows = [
        {"id": "gone", "context": "Paris is big.", "question": "Which city?", "answer_text": ["Paris"],
         "answer_start": [0]},
        {"id": "none", "context": "No answer here.", "question": "What?", "answer_text": [], "answer_start": []},
    ]
    result = perturb_examples(Dataset.from_list(rows), "span_qa", Perturber(parse_perturbation("char_delete@1"), "en"))
    assert (result.n_examples, result.n_dropped) == (2, 1)
    assert isinstance(result.examples, Dataset) and result.examples["id"] == ["none"]
    split = {"id": "split", "context": "I love New York", "question": "?", "answer_text": ["love New"],
             "answer_start": [2]}
    assert Perturber(parse_perturbation("word_swap@1"), "en").qa(split) is None

"""The pieces of the pipeline a wrong number would come from: QA windows and answer decoding, first
sub-token tagging labels, the encoder-only hand-off, mixture sampling and dynamic batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from datasets import Dataset
from transformers import set_seed

from pipeline.data.features import qa, tagging
from pipeline.data.features.labels import IGNORE
from pipeline.models.loading import encoder_state, load_model, load_tokenizer, read_encoder, save_encoder
from pipeline.testing.tiny_model import build_tiny_model
from pipeline.train.batching import length_grouped_batches, pad_batch
from pipeline.train.sampling import epoch_examples, proportional_weights, temperature_weights


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path):
    return load_tokenizer(str(model_dir))


def _qa_examples(context: str, answer: str) -> Dataset:
    start = context.index(answer)
    return Dataset.from_dict({"id": ["q1"], "question": ["where does the teacher write"], "context": [context],
                              "answer_text": [[answer]], "answer_start": [[start]]})


LONG_CONTEXT = ("the old teacher writes a small book . the river runs to the city . the child sings in the morning "
                "market . the green mountain sees the light of the village road .")


def test_training_windows_label_the_answer_only_where_it_is_inside(tokenizer) -> None:
    examples = _qa_examples(LONG_CONTEXT, "green mountain")
    rows = qa.encode_train(examples, tokenizer, max_length=40, stride=8)
    assert len(rows) > 2  # the context is split into overlapping windows
    labelled = [(r["input_ids"], r["start_positions"], r["end_positions"]) for r in rows if r["start_positions"]]
    assert labelled, "no window holds the answer"
    for ids, start, end in labelled:
        assert tokenizer.decode(ids[start : end + 1]).strip() == "green mountain"
    unlabelled = [r for r in rows if not r["start_positions"]]
    assert all(r["end_positions"] == 0 for r in unlabelled)


@pytest.mark.parametrize(("context", "answer"), [(LONG_CONTEXT, "light"), ("朋友光村快路。看见市场水路老这早上唱。", "市场水路")])
def test_best_answer_is_the_top_valid_span_over_all_windows(tokenizer, context: str, answer: str) -> None:
    examples = _qa_examples(context, answer)
    features = qa.encode_eval(examples, tokenizer, max_length=40, stride=8)
    start_char = context.index(answer)
    starts, ends, found = [], [], False
    for offsets in features["offset_mapping"]:
        s, e = np.full(len(offsets), -5.0), np.full(len(offsets), -5.0)
        s[1], e[1] = 50.0, 50.0  # a question token scores highest: never a valid answer
        context_positions = [i for i, o in enumerate(offsets) if o is not None]
        s[context_positions[-1]], e[context_positions[0]] = 40.0, 40.0  # end before start: invalid
        hits = [i for i, o in enumerate(offsets) if o is not None and o[0] <= start_char < o[1]]
        ends_at = [i for i, o in enumerate(offsets) if o is not None and o[0] < start_char + len(answer) <= o[1]]
        if hits and ends_at and not found:
            s[hits[0]], e[ends_at[0]], found = 30.0, 30.0, True  # beats any valid span made with the 40s
        starts.append(s)
        ends.append(e)
    assert found
    assert qa.best_answers(examples, features, starts, ends) == {"q1": answer}


def test_tagging_labels_the_first_sub_token_of_each_word(tokenizer) -> None:
    words = ["the", "mountain", "这房子", "يكتب", "Дом"]
    examples = Dataset.from_dict({"tokens": [words], "tags": [[0, 5, 6, 0, 1]]})
    row = tagging.encode(examples, tokenizer, 64, ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"])[0]
    encoding = tokenizer(words, is_split_into_words=True)
    firsts = [i for i, w in enumerate(encoding.word_ids()) if w is not None and w != encoding.word_ids()[i - 1]]
    assert [i for i, y in enumerate(row["labels"]) if y != IGNORE] == firsts
    assert [row["labels"][i] for i in firsts] == [0, 5, 6, 0, 1]
    assert row["word_index"] == list(range(len(words))) and row["n_words"] == len(words)
    assert len(row["labels"]) > len(words) + 2  # some words have several sub-tokens, all but one ignored


def test_only_the_encoder_is_carried_over(model_dir: Path, tmp_path: Path) -> None:
    trained = load_model(str(model_dir), "span_qa")
    with torch.no_grad():
        for param in trained.parameters():
            param.add_(0.5)
    save_encoder(trained, tmp_path / "encoder.safetensors")
    set_seed(0)
    carried = load_model(str(model_dir), "sentence_pair_classification", 3, read_encoder(tmp_path / "encoder.safetensors"))
    set_seed(0)
    fresh = load_model(str(model_dir), "sentence_pair_classification", 3)
    for name, value in encoder_state(trained).items():
        assert torch.equal(carried.base_model.state_dict()[name], value), name
    for name, value in carried.classifier.state_dict().items():  # a fresh head, as if no phase came before
        assert torch.equal(value, fresh.classifier.state_dict()[name]), name


def test_mixture_weights() -> None:
    sizes = {"mnli": 392_702, "cosmosqa": 25_262, "mlm": 2_000_000}
    weights = proportional_weights(sizes, cap=2**17)
    assert weights == pytest.approx({"mnli": 2**17 / (2 * 2**17 + 25_262), "cosmosqa": 25_262 / (2 * 2**17 + 25_262),
                                     "mlm": 2**17 / (2 * 2**17 + 25_262)})
    assert epoch_examples(sizes, 2**17) == 2 * 2**17 + 25_262
    assert temperature_weights({"a": 300, "b": 100}, 1.0) == pytest.approx({"a": 0.75, "b": 0.25})
    flat = temperature_weights({"a": 300, "b": 100}, 1e6)
    assert flat["a"] == pytest.approx(0.5, abs=1e-4)


def test_length_grouped_batches_cover_every_row_once_and_pad_per_batch() -> None:
    lengths = np.array([3, 9, 4, 8, 5, 7, 6, 2, 1, 10])
    batches = length_grouped_batches(lengths, 3, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert [len(b) for b in batches].count(3) == 3
    again = length_grouped_batches(lengths, 3, np.random.default_rng(0))
    assert all((a == b).all() for a, b in zip(batches, again))  # seeded: the same epoch every time
    padded = pad_batch({"input_ids": [[5, 6, 7], [8]], "attention_mask": [[1, 1, 1], [1]], "labels": [[1, 2, 3], [4]]},
                       pad_token_id=1)
    assert padded["input_ids"].tolist() == [[5, 6, 7], [8, 1, 1]]
    assert padded["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert padded["labels"].tolist() == [[1, 2, 3], [4, IGNORE, IGNORE]]

"""Extractive span QA: sliding windows over long contexts, answer-span labels, and n-best decoding.

Training windows carry the answer's start/end token (or the ``<s>`` position when the answer is not in
the window, or the example has none, as in SQuAD 2.0). Evaluation windows keep the character offsets of
their context tokens so that the best span of any window can be mapped back to text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # type hints only: readers of the decoding limits (the complexity analysis) skip these imports
    from datasets import Dataset
    from transformers import PreTrainedTokenizerBase

DOC_STRIDE = 128
N_BEST = 20
MAX_ANSWER_TOKENS = 30


def _windows(batch: dict, tokenizer: PreTrainedTokenizerBase, max_length: int, stride: int):
    """Overlapping windows of each context after its question; the overlap shrinks if long questions leave
    less room for context than ``stride`` (the tokenizer requires overlap < room)."""
    questions = [q.lstrip() for q in batch["question"]]
    longest = max(len(ids) for ids in tokenizer(questions, add_special_tokens=False)["input_ids"])
    room = max_length - longest - tokenizer.num_special_tokens_to_add(pair=True)
    if room < 2:
        raise ValueError(f"a question of {longest} tokens leaves no room for context in {max_length} tokens")
    return tokenizer(
        questions, batch["context"], truncation="only_second", max_length=max_length,
        stride=min(stride, room // 2), return_overflowing_tokens=True, return_offsets_mapping=True,
    )


def _context_range(sequence_ids: list[int | None]) -> tuple[int, int]:
    start = sequence_ids.index(1)
    end = len(sequence_ids) - 1 - sequence_ids[::-1].index(1)
    return start, end


def _span(offsets: list[tuple[int, int]], sequence_ids: list[int | None], start_char: int, end_char: int
          ) -> tuple[int, int]:
    """Token span of characters [start_char, end_char) in this window, or (0, 0) if it is not inside."""
    first, last = _context_range(sequence_ids)
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return 0, 0
    start = first
    while start <= last and offsets[start][1] <= start_char:
        start += 1
    end = last
    while end >= first and offsets[end][0] >= end_char:
        end -= 1
    return start, end


def encode_train(ds: Dataset, tokenizer: PreTrainedTokenizerBase, max_length: int, stride: int = DOC_STRIDE
                 ) -> Dataset:
    """Training windows with ``start_positions``/``end_positions``."""
    def fn(batch: dict) -> dict:
        enc = _windows(batch, tokenizer, max_length, stride)
        starts, ends = [], []
        for i, offsets in enumerate(enc["offset_mapping"]):
            example = enc["overflow_to_sample_mapping"][i]
            texts, answer_starts = batch["answer_text"][example], batch["answer_start"][example]
            if not texts:
                span = (0, 0)
            else:
                span = _span(offsets, enc.sequence_ids(i), answer_starts[0], answer_starts[0] + len(texts[0]))
            starts.append(span[0])
            ends.append(span[1])
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                "start_positions": starts, "end_positions": ends}

    return ds.map(fn, batched=True, remove_columns=ds.column_names)


def encode_eval(ds: Dataset, tokenizer: PreTrainedTokenizerBase, max_length: int, stride: int = DOC_STRIDE
                ) -> Dataset:
    """Evaluation windows with ``example_id`` and context-only ``offset_mapping`` (None elsewhere)."""
    def fn(batch: dict) -> dict:
        enc = _windows(batch, tokenizer, max_length, stride)
        ids, offsets_out = [], []
        for i, offsets in enumerate(enc["offset_mapping"]):
            ids.append(batch["id"][enc["overflow_to_sample_mapping"][i]])
            seq = enc.sequence_ids(i)
            offsets_out.append([list(o) if seq[k] == 1 else None for k, o in enumerate(offsets)])
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "example_id": ids,
                "offset_mapping": offsets_out}

    return ds.map(fn, batched=True, remove_columns=ds.column_names)


def best_answers(examples: Dataset, features: Dataset, start_logits: Sequence[np.ndarray],
                 end_logits: Sequence[np.ndarray], n_best: int = N_BEST, max_answer_tokens: int = MAX_ANSWER_TOKENS
                 ) -> dict[str, str]:
    """The highest-scoring span (start + end logit) over all windows of each example, as text.

    Spans must lie in the context, end after they start and be at most ``max_answer_tokens`` long;
    an example with no valid span gets the empty answer. Sentencepiece offsets include the space a
    piece's "▁" stands for, so answers are stripped.
    """
    by_example: dict[str, list[int]] = defaultdict(list)
    for i, example_id in enumerate(features["example_id"]):
        by_example[example_id].append(i)
    offsets_all = list(features["offset_mapping"])  # one read, not one per window
    answers = {}
    for example_id, context in zip(examples["id"], examples["context"]):
        best_score, best_text = -np.inf, ""
        for i in by_example.get(example_id, ()):
            starts, ends, offsets = start_logits[i], end_logits[i], offsets_all[i]
            for s in np.argsort(starts)[::-1][:n_best]:
                for e in np.argsort(ends)[::-1][:n_best]:
                    if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                        continue
                    if e < s or e - s + 1 > max_answer_tokens:
                        continue
                    score = starts[s] + ends[e]
                    if score > best_score:
                        best_score, best_text = score, context[offsets[s][0] : offsets[e][1]].strip()
        answers[example_id] = best_text
    return answers

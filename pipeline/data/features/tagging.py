"""Token tagging inputs: a word's tag goes on its first sub-token, the rest get ``IGNORE``.

``word_index`` keeps, for each labelled position, which word it stands for, so predictions can be put
back on words (words cut off by truncation are restored as the first tag when decoding).
"""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from pipeline.data.features.labels import IGNORE, label_id


def encode(ds: Dataset, tokenizer: PreTrainedTokenizerBase, max_length: int, label_names: Sequence[str]) -> Dataset:
    """Tokenised words with first-sub-token labels and the word index of each labelled position."""
    def fn(batch: dict) -> dict:
        enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
        all_labels, all_words = [], []
        for i, tags in enumerate(batch["tags"]):
            labels, words, previous = [], [], None
            for word in enc.word_ids(i):
                if word is None or word == previous:
                    labels.append(IGNORE)
                else:
                    labels.append(max(label_id(tags[word], label_names), 0))
                    words.append(word)
                previous = word
            all_labels.append(labels)
            all_words.append(words)
        return {**enc, "labels": all_labels, "word_index": all_words,
                "n_words": [len(t) for t in batch["tokens"]]}

    return ds.map(fn, batched=True, remove_columns=ds.column_names)

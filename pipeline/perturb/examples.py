"""Perturbing evaluation examples of every head while keeping their labels true.

Examples use the canonical columns of ``pipeline.data.spec.DEFAULT_COLUMNS``. Per head:

- sentence-pair classification: both texts perturbed, the label kept; multiple choice: the context
  and every choice perturbed, the label kept.
- token tagging: tokens are perturbed one at a time, so each keeps its one tag; a perturbation that
  moves words (``word_swap``) permutes the tokens and moves each tag with its token. Whitespace noise
  can only *split* inside a token here (the split pieces stay one list element, so the tokenizer's
  word ids still put the tag on the token's first piece); merging two tokens would leave one token
  with two tags, so spaces between tokens are never removed. A token an edit would empty is kept as
  it was, so no tag loses its token.
- span QA: context and question perturbed; every gold answer is followed through the edit by
  character offsets (``Aligned.map_span``). An example with an answer that no longer exists as one
  piece (deleted, or split by a word swap) is dropped and counted: scoring it against a gold answer
  the text no longer holds would measure the perturbation's bookkeeping, not the model.
- retrieval: only the non-English side is perturbed (``source`` in XTREME's BUCC and Tatoeba data).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.perturb.aligned import Aligned
from pipeline.perturb.context import Context
from pipeline.perturb.lexicon import Lexicon
from pipeline.perturb.registry import check_perturbation, get_perturbation, perturb_text, text_rng
from pipeline.perturb.spec import PerturbationSpec
from pipeline.perturb.words import swap_order

if TYPE_CHECKING:  # hints; ``perturb_examples`` imports it when it runs, so readers of perturbation names skip datasets
    from datasets import Dataset

Example = dict[str, Any]
HEADS: tuple[str, ...] = ("sentence_pair_classification", "multiple_choice", "token_tagging", "span_qa", "retrieval")


@dataclass(frozen=True)
class PerturbedData:
    """Perturbed examples and what happened to them: how many were dropped (QA) or left unchanged."""

    examples: Dataset | list[Example]
    n_examples: int
    n_dropped: int
    n_changed: int


@dataclass(frozen=True)
class Perturber:
    """Applies one perturbation spec to examples of language ``lang`` with a seed (and a lexicon if needed)."""

    spec: PerturbationSpec
    lang: str
    seed: int = 0
    lexicon: Lexicon | None = None
    switch_to: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", check_perturbation(self.spec))
        if get_perturbation(self.spec.name).needs_lexicon and self.lexicon is None:
            raise ValueError(f"{self.spec} needs a bilingual lexicon; none was given")

    def _context(self, alphabet: str | None = None) -> Context:
        return Context(self.lang, alphabet=alphabet, lexicon=self.lexicon, switch_to=self.switch_to)

    def text(self, text: str) -> Aligned:
        return perturb_text(text, self.spec, self._context(), self.seed)

    def pair(self, example: Example) -> Example:
        return {**example, "text_a": self.text(example["text_a"]).text, "text_b": self.text(example["text_b"]).text}

    def choices(self, example: Example) -> Example:
        return {**example, "context": self.text(example["context"]).text,
                "choices": [self.text(choice).text for choice in example["choices"]]}

    def retrieval(self, example: Example, side: str = "source") -> Example:
        return {**example, side: self.text(example[side]).text}

    def tagged(self, example: Example) -> Example:
        tokens, tags = list(example["tokens"]), list(example["tags"])
        if not tokens:
            return example
        rng = text_rng(self.seed, self.spec, self.lang, "\x1e".join(tokens))
        perturbation = get_perturbation(self.spec.name)
        if perturbation.moves_words:
            order = swap_order(len(tokens), self.spec.strength, rng)
            return {**example, "tokens": [tokens[i] for i in order], "tags": [tags[i] for i in order]}
        ctx = self._context(alphabet="".join(tokens))
        new = [perturbation.apply(token, self.spec.strength, rng, ctx).text for token in tokens]
        return {**example, "tokens": [n if n.strip() else old for n, old in zip(new, tokens)], "tags": tags}

    def qa(self, example: Example) -> Example | None:
        """The perturbed example with remapped answers, or None when an answer cannot be kept."""
        context = self.text(example["context"])
        texts, starts = [], []
        for text, start in zip(example["answer_text"], example["answer_start"]):
            span = context.map_span(start, start + len(text))
            answer = context.text[span[0]:span[1]] if span else ""
            if not answer.strip():
                return None
            texts.append(answer)
            starts.append(span[0])
        return {**example, "context": context.text, "question": self.text(example["question"]).text,
                "answer_text": texts, "answer_start": starts}

    def for_head(self, head: str) -> Callable[[Example], Example | None]:
        """The per-example function for ``head`` (one of ``HEADS``)."""
        functions = {
            "sentence_pair_classification": self.pair, "multiple_choice": self.choices,
            "token_tagging": self.tagged, "span_qa": self.qa, "retrieval": self.retrieval,
        }
        if head not in functions:
            raise ValueError(f"cannot perturb examples of head {head!r}; supported: {', '.join(HEADS)}")
        return functions[head]


def perturb_examples(examples: Dataset | Sequence[Example], head: str, perturber: Perturber) -> PerturbedData:
    """Every example perturbed (QA examples whose answers cannot be kept are dropped and counted).

    A ``Dataset`` comes back as a ``Dataset`` with the same features; a list as a list.
    """
    from datasets import Dataset

    apply = perturber.for_head(head)
    if perturber.spec.strength == 0:
        return PerturbedData(examples if isinstance(examples, Dataset) else list(examples), len(examples), 0, 0)
    rows = examples.to_list() if isinstance(examples, Dataset) else list(examples)
    kept: list[Example] = []
    changed = 0
    for row in rows:
        new = apply(row)
        if new is not None:
            kept.append(new)
            changed += new != row
    out: Dataset | list[Example] = (
        Dataset.from_list(kept, features=examples.features) if isinstance(examples, Dataset) else kept
    )
    return PerturbedData(out, n_examples=len(rows), n_dropped=len(rows) - len(kept), n_changed=changed)

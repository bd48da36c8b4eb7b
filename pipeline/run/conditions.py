"""What each target language is evaluated under: clean inputs, then each perturbation of the config.

Perturbations touch evaluation inputs only (``pipeline.perturb``); the trained model is the same, so
a perturbed score minus the clean one is the model's robustness drop. The perturbed text depends on
the config's perturbation seed (never on the run's seed), so every trained model sees the same inputs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from datasets import Dataset

from pipeline.data.load import DataUnavailableError
from pipeline.perturb import (
    CLEAN,
    Lexicon,
    PerturbationSpec,
    Perturber,
    get_perturbation,
    parse_perturbation,
    perturb_examples,
    read_lexicon,
)
from pipeline.run.config import RunConfig, content_hash


@dataclass(frozen=True)
class Condition:
    """Clean inputs (``spec`` None) or one perturbation with its seed and lexicon."""

    spec: PerturbationSpec | None = None
    seed: int = 0
    lexicon: Lexicon | None = None
    lexicon_digest: str | None = None

    @property
    def perturbation(self) -> str:
        """The store's ``perturbation`` value: ``none`` or ``<name>@<strength>``."""
        return CLEAN if self.spec is None else str(self.spec)

    def cache_name(self, lang: str) -> str:
        """File of this condition's scores on ``lang`` in an evaluation cache (clean: the plain ``<lang>.json``)."""
        if self.spec is None:
            return f"{lang}.json"
        lexicon = self.lexicon_digest if get_perturbation(self.spec.name).needs_lexicon else None
        return f"{lang}.{self.spec}.{content_hash({'seed': self.seed, 'lexicon': lexicon}, 8)}.json"

    def apply(self, examples: Dataset, head: str, lang: str) -> tuple[Dataset, str]:
        """``examples`` under this condition and a note for the result rows (QA drops are counted there)."""
        if self.spec is None:
            return examples, ""
        out = perturb_examples(examples, head, Perturber(self.spec, lang, self.seed, self.lexicon))
        note = f"perturbation {self.spec} (seed {self.seed}): {out.n_changed} of {out.n_examples} examples changed"
        if head == "span_qa":
            note += f", {out.n_dropped} dropped (an answer did not survive the perturbation)"
        return out.examples, note


def _lexicon(path: str) -> tuple[Lexicon, str]:
    """The lexicon at ``path`` and a digest of its bytes (cached scores follow the file's content)."""
    try:
        lexicon = read_lexicon(path)
    except ValueError as exc:
        raise DataUnavailableError(f"perturbations.lexicon: {exc}") from None
    return lexicon, hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def evaluation_conditions(config: RunConfig) -> tuple[Condition, ...]:
    """Clean first, then each perturbation of ``config`` in the order listed (the lexicon read once)."""
    settings = config.perturbations
    if settings is None:
        return (Condition(),)
    lexicon, digest = _lexicon(settings.lexicon) if settings.lexicon else (None, None)
    return (Condition(), *(Condition(parse_perturbation(spec), settings.seed, lexicon, digest)
                           for spec in settings.specs))

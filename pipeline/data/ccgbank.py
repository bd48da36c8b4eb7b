"""CCGbank (LDC2005T13) in its distribution format: ``data/AUTO/<section>/wsj_*.auto``.

Each parse line holds the sentence's leaves as ``(<L category modified_POS original_POS word pred_arg>)``;
the supertag of a word is its leaf category. The standard split is sections 02-21 for training, 00 for
development and 23 for test.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from datasets import Dataset

_LEAF = re.compile(r"\(<L (\S+) \S+ \S+ (\S+) \S+>\)")
#: Sections of each split (Hockenmaier & Steedman 2007).
SECTIONS = {"train": tuple(f"{s:02d}" for s in range(2, 22)), "validation": ("00",), "test": ("23",)}


def parse_auto(text: str) -> list[tuple[list[str], list[str]]]:
    """(words, supertags) of every parse in the text of one ``.auto`` file."""
    sentences = []
    for line in text.splitlines():
        leaves = _LEAF.findall(line)
        if leaves:
            sentences.append(([word for _, word in leaves], [category for category, _ in leaves]))
    return sentences


def read_split(root: str | Path, split: str, sections: Sequence[str] | None = None) -> Dataset:
    """Sentences of ``split`` from a CCGbank folder (the one holding ``data/AUTO``), as ``tokens``/``tags``."""
    files = sorted(f for s in (sections or SECTIONS[split]) for f in (Path(root) / "data" / "AUTO" / s).glob("*.auto"))
    if not files:
        raise FileNotFoundError(f"no CCGbank .auto files for {split} under {Path(root) / 'data' / 'AUTO'}")
    parsed = [s for f in files for s in parse_auto(f.read_text(encoding="utf-8"))]
    return Dataset.from_dict({"tokens": [w for w, _ in parsed], "tags": [t for _, t in parsed]})

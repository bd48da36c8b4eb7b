"""Label ids from whatever the dataset stores: ClassLabel ints, or strings named in the registry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Label id of a position or example that carries no label (ignored by the loss).
IGNORE = -100


def label_id(value: int | str | None, names: Sequence[str] | None) -> int:
    """The id of ``value``: strings are looked up in ``names``; -1 when missing or unknown."""
    if value is None or value == "":
        return -1
    if isinstance(value, str):
        if names is None:
            return int(value) if value.lstrip("-").isdigit() else -1
        return names.index(value) if value in names else -1
    return int(value)


def names_from_data(tag_lists: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """A tag set read from training data (for corpora such as CCGbank whose tags the registry does not list)."""
    return tuple(sorted({tag for tags in tag_lists for tag in tags}))

"""One line of the preflight table: what was checked, whether it will load, why not and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "fail", "skip"]


@dataclass(frozen=True)
class Check:
    """The outcome for one model or data split.

    ``skip``: the run deliberately does not read it (e.g. a language without the run's split); not an error.
    ``download_bytes``: what the run will download and cache for it (None: unknown or nothing).
    """

    status: Status
    what: str
    reason: str = ""
    fix: str = ""
    download_bytes: int | None = None
    #: Whether the answer needs the hub (failing checks that need it make an offline preflight exit non-zero).
    needs_hub: bool = False

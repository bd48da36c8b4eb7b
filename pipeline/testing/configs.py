"""Run configs for tests and benchmarks: a shipped config pointed at throw-away directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO / "data" / "configs" / "tiny-cpu.yaml"


def relocated_config(work_dir: Path, base: Path = TINY_CONFIG, **overrides: Any) -> Path:
    """A copy of ``base`` whose model, data and outputs live under ``work_dir`` (top-level keys replaced by
    ``overrides``); returns the new file."""
    raw = yaml.safe_load(base.read_text(encoding="utf-8"))
    raw.update(models=[str(work_dir / "tiny" / "model")], data_dir=str(work_dir / "tiny" / "data"),
               output_dir=str(work_dir / "runs"))
    raw.update(overrides)
    path = work_dir / base.name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path

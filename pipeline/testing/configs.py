"""Run configs for tests and benchmarks: a shipped config pointed at throw-away directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "data" / "configs"
TINY_CONFIG = CONFIGS / "tiny-cpu.yaml"
TINY_ROBUSTNESS_CONFIG = CONFIGS / "tiny-robustness.yaml"
TINY_LANGUAGES_CONFIG = CONFIGS / "tiny-intermediate-languages.yaml"


def _moved(raw: dict, data_dir: Path) -> dict:
    """The perturbation lexicon follows the data when it lives under the base config's data_dir (the fixture
    builder writes one there)."""
    settings, old = raw.get("perturbations"), raw.get("data_dir")
    if isinstance(settings, dict) and old and str(settings.get("lexicon", "")).startswith(f"{old}/"):
        return {**settings, "lexicon": str(data_dir / settings["lexicon"][len(old) + 1:])}
    return settings


def relocated_config(work_dir: Path, base: Path = TINY_CONFIG, **overrides: Any) -> Path:
    """A copy of ``base`` whose model, data and outputs live under ``work_dir`` (top-level keys replaced by
    ``overrides``); returns the new file."""
    raw = yaml.safe_load(base.read_text(encoding="utf-8"))
    data_dir = work_dir / "tiny" / "data"
    if "perturbations" in raw:
        raw["perturbations"] = _moved(raw, data_dir)
    raw.update(models=[str(work_dir / "tiny" / "model")], data_dir=str(data_dir), output_dir=str(work_dir / "runs"))
    raw.update(overrides)
    path = work_dir / base.name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path

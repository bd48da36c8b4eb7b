"""Test-wide settings: never reach the Hugging Face hub, never touch the user's store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before anything imports transformers/datasets: offline, with a throw-away cache.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="atlas-hf-home-")
os.environ["ATLAS_STORE"] = str(Path(tempfile.mkdtemp(prefix="atlas-store-")) / "atlas.db")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store file for this test, also the default store ($ATLAS_STORE) while it runs."""
    path = tmp_path / "atlas.db"
    monkeypatch.setenv("ATLAS_STORE", str(path))
    return path

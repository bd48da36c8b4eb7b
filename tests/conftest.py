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


@pytest.fixture(scope="session")
def tiny_assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny test model (``model/``) and fixture datasets (``data/``), built once per session."""
    from pipeline.testing.fixtures import build_fixture_data
    from pipeline.testing.tiny_model import build_tiny_model

    root = tmp_path_factory.mktemp("tiny-assets")
    build_tiny_model(root / "model")
    build_fixture_data(root / "data")
    return root

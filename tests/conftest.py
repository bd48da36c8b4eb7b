"""Test-wide settings: never reach the Hugging Face hub, never touch the user's store."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import BACKENDS, Stores, skip_without

# Set before anything imports transformers/datasets: offline, with a throw-away cache.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
_THROWAWAY = [tempfile.mkdtemp(prefix="atlas-hf-home-"), tempfile.mkdtemp(prefix="atlas-store-")]
os.environ["HF_HOME"] = _THROWAWAY[0]
os.environ["ATLAS_STORE"] = str(Path(_THROWAWAY[1]) / "atlas.db")
for _folder in _THROWAWAY:  # removed when the test session ends, so that runs do not pile up in /tmp
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store file for this test, also the default store ($ATLAS_STORE) while it runs."""
    path = tmp_path / "atlas.db"
    monkeypatch.setenv("ATLAS_STORE", str(path))
    return path


@pytest.fixture(params=BACKENDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stores]:
    """Fresh stores of each engine (the test runs once per engine); PostgreSQL ones are dropped afterwards.

    Job files, examples and snapshots of PostgreSQL stores go to this test's folder, not the user's cache.
    """
    skip_without(request.param)
    monkeypatch.setenv("ATLAS_WORK_DIR", str(tmp_path / "work"))
    made = Stores(request.param, tmp_path)
    yield made
    made.close()


@pytest.fixture
def store_location(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh store of each engine (a file path or a PostgreSQL URL), also $ATLAS_STORE while the test runs."""
    location = stores.new()
    monkeypatch.setenv("ATLAS_STORE", location)
    return location


@pytest.fixture(scope="session")
def tiny_assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny test model (``model/``) and fixture datasets (``data/``), built once per session."""
    from pipeline.testing.fixtures import build_fixture_data
    from pipeline.testing.tiny_model import build_tiny_model

    root = tmp_path_factory.mktemp("tiny-assets")
    build_tiny_model(root / "model")
    build_fixture_data(root / "data")
    return root

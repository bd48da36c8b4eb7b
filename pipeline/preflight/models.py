"""Preflight of a model given as a local folder: the files ``from_pretrained`` needs are there and readable."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.preflight.hub import TOKENIZER_FILES
from pipeline.preflight.result import Check


def looks_local(model_id: str) -> bool:
    """Whether ``model_id`` is meant as a folder rather than a hub id (``org/name``)."""
    path = Path(model_id)
    return path.exists() or model_id.startswith(("/", ".", "~")) or model_id.count("/") > 1 or (
        len(path.parts) > 1 and path.parent.is_dir())


def check_local_model(model_id: str) -> Check | None:
    """The check of a local model folder; None when ``model_id`` is a hub id."""
    if not looks_local(model_id):
        return None
    what, path = f"model {model_id} (folder)", Path(model_id)
    if not path.is_dir():
        return Check("fail", what, "no such model folder",
                     "save the model there with save_pretrained, give --model-dir, or fix the path")
    names = {p.name for p in path.iterdir()}
    try:
        model_type = json.loads((path / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, json.JSONDecodeError) as exc:
        return Check("fail", what, f"no readable config.json ({type(exc).__name__})", "save it with save_pretrained")
    missing = [label for label, ok in (("model_type in config.json", bool(model_type)),
                                       ("tokenizer file", any(f in names for f in TOKENIZER_FILES)),
                                       ("weights", any(n.endswith(".safetensors") or n == "pytorch_model.bin"
                                                       for n in names))) if not ok]
    if missing:
        return Check("fail", what, f"no {', '.join(missing)}", "save model and tokenizer there with save_pretrained")
    return Check("ok", what, str(model_type))

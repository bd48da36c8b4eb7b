"""Tokenizer, encoder and task head by hub id or local directory, and the encoder-only hand-off.

Between STILTs phases only the encoder (the model's ``base_model``: embeddings + transformer layers)
is carried over; every head is freshly initialised, as in Phang et al. (2020, A.2), even when the
intermediate and target heads have the same shape.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForMultipleChoice,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from pipeline.testing.tiny_model import test_model_name

HEAD_CLASSES = {
    "sentence_pair_classification": AutoModelForSequenceClassification,
    "token_tagging": AutoModelForTokenClassification,
    "span_qa": AutoModelForQuestionAnswering,
    "multiple_choice": AutoModelForMultipleChoice,
    "mlm": AutoModelForMaskedLM,
    "retrieval": AutoModel,
}
#: Heads whose size is the task's label count.
_LABELLED_HEADS = frozenset({"sentence_pair_classification", "token_tagging"})
#: The encoder's pooler is unused by every head here (classification heads pool themselves).
_POOLER_PREFIX = "pooler."


class ModelUnavailableError(RuntimeError):
    """A model or tokenizer cannot be loaded from the hub, the cache or the given directory."""


def _unavailable(model_id: str, exc: Exception) -> ModelUnavailableError:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ModelUnavailableError(
        f"cannot load model {model_id!r} ({first_line}); download it once with network access "
        "(it is then cached), or save it with save_pretrained to a directory and give that directory as the model"
    )


def load_tokenizer(model_id: str) -> PreTrainedTokenizerBase:
    """The (fast) tokenizer of ``model_id``."""
    try:
        return AutoTokenizer.from_pretrained(model_id)
    except (OSError, ValueError) as exc:
        raise _unavailable(model_id, exc) from None


def load_model(model_id: str, head: str, num_labels: int | None = None,
               encoder_state: dict[str, torch.Tensor] | None = None) -> PreTrainedModel:
    """``model_id`` with a fresh ``head`` (pretrained weights where the checkpoint has them), then the
    carried-over encoder weights if given."""
    kwargs = {}
    if head in _LABELLED_HEADS:
        kwargs["num_labels"] = num_labels
    elif head == "span_qa":
        kwargs["num_labels"] = 2  # start/end logits, whatever the saved config says
    try:
        model = HEAD_CLASSES[head].from_pretrained(model_id, **kwargs)
    except (OSError, ValueError) as exc:
        raise _unavailable(model_id, exc) from None
    if encoder_state is not None:
        load_encoder_state(model, encoder_state)
    return model


def encoder_state(model: PreTrainedModel) -> dict[str, torch.Tensor]:
    """The encoder's weights (no head, no pooler), detached on CPU."""
    return {k: v.detach().cpu().contiguous() for k, v in model.base_model.state_dict().items()
            if not k.startswith(_POOLER_PREFIX)}


def load_encoder_state(model: PreTrainedModel, state: dict[str, torch.Tensor]) -> None:
    """Put carried-over encoder weights into ``model``; refuses weights that do not fit its encoder."""
    missing, unexpected = model.base_model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith(_POOLER_PREFIX)]
    if missing or unexpected:
        raise ValueError(f"encoder weights do not match the model: missing {missing[:3]}, unexpected {unexpected[:3]}")


def save_encoder(model: PreTrainedModel, path: str | Path) -> None:
    """Write the encoder's weights to a safetensors file."""
    save_file(encoder_state(model), str(path))


def read_encoder(path: str | Path) -> dict[str, torch.Tensor]:
    """Encoder weights written by ``save_encoder``."""
    return load_file(str(path))


def encoder_parameter_count(model: PreTrainedModel) -> int:
    """Parameters of the encoder (what ``model_params`` reports: the pretrained network, no head)."""
    return sum(p.numel() for name, p in model.base_model.named_parameters() if not name.startswith(_POOLER_PREFIX))


def canonical_model_name(model_id: str) -> tuple[str, bool]:
    """(name for the results store, whether it is a tiny test model) of a hub id or local directory."""
    if Path(model_id).is_dir():
        test_name = test_model_name(model_id)
        if test_name is not None:
            return test_name, True
        return Path(model_id).resolve().name, False
    return model_id, False

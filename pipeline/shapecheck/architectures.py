"""A real-size model config built from architecture values alone (``pipeline.models.architectures``)."""

from __future__ import annotations

from transformers import AutoConfig, PretrainedConfig

from pipeline.models.architectures import PUBLIC, config_values


class UnknownArchitecture(ValueError):
    """Neither a local or cached config.json nor known public values."""


def model_config(model_id: str) -> PretrainedConfig:
    """The transformers config of ``model_id`` (nothing downloaded: the weights will be random)."""
    values = config_values(model_id)
    if values is None:
        raise UnknownArchitecture(f"no architecture known for {model_id!r}: give a local folder holding its "
                                  f"config.json (no weights needed); built in: {', '.join(PUBLIC)}")
    values = dict(values)
    return AutoConfig.for_model(values.pop("model_type"), **values)

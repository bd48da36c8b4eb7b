"""Architecture values of a model without loading it: its config.json (a local folder, or the hub's copy in the
local cache), else the public config values of the XLM-R family. Plain dicts, so cost estimates stay instant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_XLMR = {"max_position_embeddings": 514, "type_vocab_size": 1, "layer_norm_eps": 1e-5, "pad_token_id": 1,
         "bos_token_id": 0, "eos_token_id": 2}
#: Public config.json values of FacebookAI/xlm-roberta-{base,large} and facebook/xlm-roberta-{xl,xxl}; the
#: vocabulary is the real tokenizer's, so the embeddings and the MLM output layer have their real size.
PUBLIC: dict[str, dict[str, Any]] = {
    "xlm-roberta-base": {**_XLMR, "model_type": "xlm-roberta", "vocab_size": 250002, "hidden_size": 768,
                         "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
    "xlm-roberta-large": {**_XLMR, "model_type": "xlm-roberta", "vocab_size": 250002, "hidden_size": 1024,
                          "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096},
    "xlm-roberta-xl": {**_XLMR, "model_type": "xlm-roberta-xl", "vocab_size": 250880, "hidden_size": 2560,
                       "num_hidden_layers": 36, "num_attention_heads": 32, "intermediate_size": 10240},
    "xlm-roberta-xxl": {**_XLMR, "model_type": "xlm-roberta-xl", "vocab_size": 250880, "hidden_size": 4096,
                        "num_hidden_layers": 48, "num_attention_heads": 32, "intermediate_size": 16384},
}


def config_file(model_id: str) -> Path | None:
    """The config.json of a local model folder or of a hub model in the local cache (the hub is not asked)."""
    local = Path(model_id) / "config.json"
    if local.is_file():
        return local
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(model_id, "config.json")
    except Exception:  # an id the cache cannot hold (e.g. a missing local path)
        return None
    return Path(cached) if isinstance(cached, str) else None


def config_values(model_id: str) -> dict[str, Any] | None:
    """The architecture of ``model_id`` as config.json values; None when neither a file nor public values exist."""
    path = config_file(model_id)
    if path is not None:
        return json.loads(path.read_text(encoding="utf-8"))
    return PUBLIC.get(model_id.split("/")[-1])

"""Build the tiny XLM-R of ENV-NOTES: a Unigram tokenizer trained on multi-script fixture text and a
randomly initialised 2-layer, hidden-64 XLM-R, saved with ``save_pretrained``.

The pipeline then loads it through exactly the same ``Auto*.from_pretrained`` code as a hub model.
A marker file tells the pipeline (and the store) that results from it are test artefacts.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram
from tokenizers.trainers import UnigramTrainer
from transformers import AutoModelForMaskedLM, PreTrainedTokenizerFast, XLMRobertaConfig

from pipeline.testing.text import corpus

#: File in a model directory that marks it as a test model; holds the model's canonical name.
TEST_MODEL_MARKER = "atlas_test_model.json"
TINY_MODEL_NAME = "tiny-xlmr-test"
#: XLM-R's special tokens in XLM-R's id order.
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def _train_tokenizer(vocab_size: int) -> PreTrainedTokenizerFast:
    backend = Tokenizer(Unigram())
    backend.normalizer = normalizers.NFKC()
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.decoder = decoders.Metaspace()
    trainer = UnigramTrainer(vocab_size=vocab_size, special_tokens=list(SPECIALS), unk_token="<unk>",
                             show_progress=False)
    backend.train_from_iterator(corpus(), trainer=trainer)
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", backend.token_to_id("<s>")), ("</s>", backend.token_to_id("</s>"))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
        unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", model_max_length=512,
    )


def build_tiny_model(out_dir: str | Path, vocab_size: int = 2000, seed: int = 0) -> Path:
    """Write the tiny tokenizer + model to ``out_dir`` (deterministic for a given seed); returns the directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer(vocab_size)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=128, max_position_embeddings=514, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    model = AutoModelForMaskedLM.from_config(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / TEST_MODEL_MARKER).write_text(json.dumps({"name": TINY_MODEL_NAME}) + "\n", encoding="utf-8")
    return out


def test_model_name(model_dir: str | Path) -> str | None:
    """The canonical name of a test model directory, or None if ``model_dir`` is not one."""
    marker = Path(model_dir) / TEST_MODEL_MARKER
    if not marker.is_file():
        return None
    return json.loads(marker.read_text(encoding="utf-8"))["name"]

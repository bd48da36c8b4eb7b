"""Pipeline throughput on the tiny XLM-R (CPU): training and evaluation examples/s per head, and the two
comparisons the design asks for — this pipeline's training loop vs a plain ``transformers.Trainer`` on the
same model and variable-length data, and its zero-shot evaluation over all languages of a task vs a naive
per-language loop with fixed padding.

Run: .venv/bin/python bench/bench_pipeline.py [--steps 60] [--threads 1] [--repeats 3] [--quick]
Prints one line per figure. Everything is built in a temporary directory (tiny model, fixture data).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from datasets import Dataset, concatenate_datasets  # noqa: E402
from transformers import DataCollatorWithPadding, Trainer, TrainerCallback, TrainingArguments  # noqa: E402

from pipeline.data.features import classification  # noqa: E402
from pipeline.data.features.training import training_rows  # noqa: E402
from pipeline.data.load import load_source  # noqa: E402
from pipeline.data.spec import intermediate_data, target_data  # noqa: E402
from pipeline.evaluate.outputs import INPUTS  # noqa: E402
from pipeline.evaluate.predict import logits_rows, predict  # noqa: E402
from pipeline.models.device import select_device  # noqa: E402
from pipeline.models.loading import load_model, load_tokenizer  # noqa: E402
from pipeline.tasks import get_intermediate_task, get_target_task  # noqa: E402
from pipeline.testing.fixtures import build_fixture_data  # noqa: E402
from pipeline.testing.text import sentence  # noqa: E402
from pipeline.testing.tiny_model import build_tiny_model  # noqa: E402
from pipeline.train.batching import pad_batch  # noqa: E402
from pipeline.train.loop import Optimisation, TrainStream, train  # noqa: E402

LANGS = ("en", "de", "ru", "zh", "ar", "hi")


def variable_pairs(n: int, lang: str, seed: str) -> Dataset:
    """Sentence pairs of 2 to 60 words (most short, a few long: the shape of real NLI data)."""
    rng = random.Random(seed)
    lengths = [min(60, 2 + int(rng.expovariate(1 / 10))) for _ in range(2 * n)]
    a = [sentence(lang, f"{seed}-a-{i}", lengths[2 * i], lengths[2 * i]) for i in range(n)]
    b = [sentence(lang, f"{seed}-b-{i}", lengths[2 * i + 1], lengths[2 * i + 1]) for i in range(n)]
    return Dataset.from_dict({"text_a": a, "text_b": b, "label": [rng.randrange(3) for _ in range(n)]})


def time_pipeline_training(model, rows: Dataset, batch_size: int, steps: int, pad_id: int) -> float:
    stream = TrainStream("bench", model, rows, batch_size, partial(pad_batch, pad_token_id=pad_id))
    report = train([stream], steps, Optimisation(learning_rate=1e-4), select_device(), seed=0)
    return report.examples / report.seconds


def time_trainer(model, rows: Dataset, tokenizer, batch_size: int, steps: int, out: Path) -> float:
    args = TrainingArguments(output_dir=str(out), per_device_train_batch_size=batch_size, max_steps=steps,
                             learning_rate=1e-4, warmup_steps=steps // 10, report_to=[], save_strategy="no",
                             logging_strategy="no", use_cpu=True, disable_tqdm=True, seed=0)
    clock = _StepClock()
    trainer = Trainer(model=model, args=args, train_dataset=rows, data_collator=DataCollatorWithPadding(tokenizer),
                      callbacks=[clock])
    with contextlib.redirect_stdout(io.StringIO()):  # the Trainer prints its metrics dict
        trainer.train()
    return (steps - 1) * batch_size / (clock.end - clock.first_step_done)


class _StepClock(TrainerCallback):
    """Times the Trainer from the end of its first step, so its one-off setup is not counted against it."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 1:
            self.first_step_done = time.perf_counter()

    def on_train_end(self, args, state, control, **kwargs):
        self.end = time.perf_counter()


@torch.no_grad()
def naive_eval(model, tokenizer, per_language: dict[str, Dataset], max_length: int, batch_size: int) -> int:
    """Per language, in data order, every batch padded to ``max_length``: what a first loop looks like."""
    model.eval()
    n = 0
    for examples in per_language.values():
        for start in range(0, len(examples), batch_size):
            chunk = examples[start : start + batch_size]
            enc = tokenizer(chunk["text_a"], chunk["text_b"], truncation=True, max_length=max_length,
                            padding="max_length", return_tensors="pt")
            model(**enc).logits.argmax(-1)
            n += len(chunk["text_a"])
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--eval-pairs", type=int, default=1000, help="evaluation pairs per language")
    parser.add_argument("--quick", action="store_true", help="20 steps, 2 repeats, 300 pairs per language")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.repeats, args.eval_pairs = 20, 2, 300
    torch.set_num_threads(args.threads)
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    import datasets

    datasets.disable_progress_bars()
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    model_dir, data_dir = str(build_tiny_model(work / "model")), str(build_fixture_data(work / "data"))
    tokenizer = load_tokenizer(model_dir)
    pad = tokenizer.pad_token_id
    print(f"tiny XLM-R (2 layers, hidden 64) on CPU, {args.threads} thread(s), batch {args.batch_size}, "
          f"{args.steps} steps")

    heads = {"sentence_pair_classification": ("mnli", 3), "multiple_choice": ("hellaswag", 4),
             "span_qa": ("squad_v1", None)}
    for head, (task_id, num_labels) in heads.items():
        data = intermediate_data(get_intermediate_task(task_id))
        examples = concatenate_datasets([load_source(data.train[0], data_dir)] * 16)
        rows = training_rows(head, examples, tokenizer, data.max_seq_length, data.label_names, num_labels)
        rate = time_pipeline_training(load_model(model_dir, head, num_labels), rows, args.batch_size, args.steps, pad)
        print(f"train  {head:<29} {task_id:<10} {rate:8.0f} examples/s")
    panx = target_data(get_target_task("panx"))
    examples = concatenate_datasets([load_source(panx.train[0], data_dir)] * 16)
    rows = training_rows("token_tagging", examples, tokenizer, 128, panx.label_names, panx.num_labels)
    rate = time_pipeline_training(load_model(model_dir, "token_tagging", 7), rows, args.batch_size, args.steps, pad)
    print(f"train  {'token_tagging':<29} {'panx':<10} {rate:8.0f} examples/s")

    pairs = variable_pairs(4000, "en", "train")
    rows = classification.encode(pairs, tokenizer, 128, None, 3).select_columns(["input_ids", "attention_mask", "labels"])
    ours, plain = [], []
    for attempt in range(args.repeats):  # alternate the two, keep each one's best: the machine is shared
        ours.append(time_pipeline_training(load_model(model_dir, "sentence_pair_classification", 3), rows,
                                           args.batch_size, args.steps, pad))
        plain.append(time_trainer(load_model(model_dir, "sentence_pair_classification", 3), rows, tokenizer,
                                  args.batch_size, args.steps, work / f"trainer-{attempt}"))
    print(f"train  variable-length pairs: pipeline {max(ours):.0f} vs plain Trainer {max(plain):.0f} examples/s "
          f"({max(ours) / max(plain):.2f}x, best of {args.repeats})")

    model = load_model(model_dir, "sentence_pair_classification", 3)
    per_language = {lang: variable_pairs(args.eval_pairs, lang, f"eval-{lang}") for lang in LANGS}
    ours, naive = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        n = 0
        for examples in per_language.values():
            encoded = classification.encode(examples, tokenizer, 128, None, 3).select_columns(INPUTS)
            n += len(predict(model, encoded, logits_rows, 64, select_device(), pad))
        ours.append(n / (time.perf_counter() - started))
        started = time.perf_counter()
        naive.append(naive_eval(model, tokenizer, per_language, 128, 64) / (time.perf_counter() - started))
    print(f"eval   {len(LANGS)} languages x {args.eval_pairs} pairs: pipeline {max(ours):.0f} vs naive fixed-padding "
          f"{max(naive):.0f} examples/s ({max(ours) / max(naive):.2f}x, best of {args.repeats})")
    lengths = np.array([len(x) for x in classification.encode(per_language['en'], tokenizer, 128, None, 3)["input_ids"]])
    print(f"       (pair lengths: median {np.median(lengths):.0f}, 95th percentile {np.percentile(lengths, 95):.0f}, "
          f"max {lengths.max()} tokens)")


if __name__ == "__main__":
    main()

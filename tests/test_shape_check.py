"""shape-check: every training shape of a config, at its real sizes, on a model built from its architecture alone;
the out-of-memory back-off provoked for real (CPU: an address-space cap; CUDA: a memory fraction); and the cost
estimate's FLOP count that the measured figures calibrate."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from pipeline.jobs.estimate import FLOPS_CUDA, UPDATE_BYTES_PER_PARAM, Dims, estimate, flops_rate, model_dims
from pipeline.models.device import choose
from pipeline.run.config import RunConfig, load_config
from pipeline.shapecheck.architectures import model_config
from pipeline.shapecheck.shapes import UNKNOWN_TAG_SET, Shape, training_shapes
from pipeline.testing.configs import CONFIGS, REPO


def _shape_check(config: dict, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"intermediate": ["none"], "torch_threads": 1, **config}), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "pipeline", "shape-check", str(path), *args], cwd=REPO,
                          capture_output=True, text=True, env=os.environ.copy(), timeout=600)


def _row(stdout: str, task: str) -> list[str]:
    return next(line.split() for line in stdout.splitlines() if line.startswith(task + " "))


def test_the_papers_grid_has_the_shapes_of_tables_3_and_4() -> None:
    shapes = training_shapes(load_config(CONFIGS / "xstilts-xlmr-large.yaml"))
    by_task = {s.task: (s, phases) for s, phases in shapes.items()}
    hellaswag, phases = by_task["hellaswag"]
    assert (hellaswag.seq_len, hellaswag.batch_size, hellaswag.sequences) == (256, 24, 96)
    assert "intermediate hellaswag" in phases and "intermediate hellaswag+mlm" in phases
    assert by_task["mlm"][0] == Shape("mlm", "mlm", 256, 8, 1, None)
    assert by_task["ccg"][0].labels == UNKNOWN_TAG_SET
    assert by_task["xquad"][0].seq_len == 384 and by_task["xnli"][0].batch_size == 4
    assert "bucc" not in by_task and "tatoeba" not in by_task  # retrieval trains nothing
    large = model_config("xlm-roberta-large")
    assert (large.vocab_size, large.hidden_size, large.num_hidden_layers) == (250002, 1024, 24)


def test_shape_check_trains_every_shape_of_a_tiny_config(tiny_assets: Path, tmp_path: Path) -> None:
    config = {"models": [str(tiny_assets / "model")], "intermediate": [{"tasks": ["hellaswag"], "mlm": True}],
              "hyperparameters": {"intermediate": {"batch_size": 2}, "target": {"batch_size": 2, "grad_accumulation": 2}},
              "targets": {"panx": {"languages": ["en"]}, "bucc": {"languages": ["de"]}}}
    out = _shape_check(config, tmp_path, "--steps", "1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("device: CPU") and "vocabulary 2,000; random weights" in out.stdout
    hellaswag = _row(out.stdout, "hellaswag")
    assert hellaswag[1:8] == ["multiple_choice", "256", "x", "2", "(8", "seqs)", "x"]
    for task in ("hellaswag", "mlm", "panx"):
        figures = re.search(r" x \d+\s+(\d+\.\d+)\s+(\d+\.\d+)\s+([\d,]+) MiB", " ".join(_row(out.stdout, task)))
        assert float(figures[1]) > 0 and float(figures[2]) >= 0 and int(figures[3].replace(",", "")) > 0
    assert "bucc" not in out.stdout.split("random weights")[-1]


def test_unknown_architecture_is_refused_in_one_line(tmp_path: Path) -> None:
    out = _shape_check({"models": ["someone/some-model"], "targets": ["xnli"]}, tmp_path)
    assert out.returncode == 2 and out.stderr.strip().splitlines()[-1].startswith(
        "error: no architecture known for 'someone/some-model': give a local folder holding its config.json")


def test_a_real_cpu_out_of_memory_halves_the_micro_batch(tiny_assets: Path, tmp_path: Path) -> None:
    """The allocator limit is RLIMIT_AS a few hundred MiB above what the process maps: torch's CPU allocator fails
    for the full micro-batch (attention at 128 x 384 needs far more) and the loop halves until it fits."""
    config = {"models": [str(tiny_assets / "model")], "targets": {"xquad": {"languages": ["en"], "batch_size": 128}}}
    out = _shape_check(config, tmp_path, "--steps", "1", "--cpu-memory-headroom-mib", "250")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "address space capped at 250 MiB" in out.stdout
    assert "out of memory: micro-batch halved, gradient accumulation 2" in out.stderr
    row = " ".join(_row(out.stdout, "xquad"))
    micro, accumulation = row.split("-> OOM: ")[1].split()[0:3:2]
    assert int(micro) < 128 and int(micro) * int(accumulation) == 128


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (set_per_process_memory_fraction)")
def test_a_real_cuda_out_of_memory_halves_the_micro_batch(tmp_path: Path) -> None:
    config = {"models": ["xlm-roberta-base"], "targets": {"xquad": {"languages": ["en"], "batch_size": 256}}}
    out = _shape_check(config, tmp_path, "--steps", "1", "--gpu-memory-fraction", "0.1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "out of memory: micro-batch halved" in out.stderr and "-> OOM:" in out.stdout


def test_estimate_counts_attention_the_mlm_output_layer_every_choice_and_the_update() -> None:
    base = model_dims("xlm-roberta-base", False)
    assert base == Dims(12 * (4 * 768**2 + 2 * 768 * 3072), 12, 768, 250002)
    plain, mlm = base.flops_per_token(256), base.flops_per_token(256, mlm=True)
    assert plain == 6 * (base.params + 2 * 12 * 768 * 256)
    assert mlm - plain == 6 * (768**2 + 250002 * 768)  # the MLM output layer costs more than the encoder
    one = {"models": ["xlm-roberta-base"], "intermediate": ["none"], "targets": {"xcopa": None}}
    xcopa = estimate(RunConfig.model_validate(one))
    per_example = 2 * 128 * base.flops_per_token(128)  # XCOPA encodes both choices
    assert xcopa.train_flops == pytest.approx(xcopa.train_examples * per_example)
    steps = xcopa.train_examples // 16  # Table 4: batch 16; every step updates all parameters, embeddings too
    assert xcopa.optimizer_bytes == steps * (base.params + 250002 * 768) * UPDATE_BYTES_PER_PARAM


def test_a_bf16_gpu_is_estimated_at_the_bf16_rate() -> None:
    """The device choice a GPU run makes (bf16 from compute capability 8.0) is the rate the estimate uses."""
    run = estimate(RunConfig.model_validate({"models": ["xlm-roberta-base"], "intermediate": ["none"],
                                             "targets": {"xnli": None}}))
    bf16, old = choose(True, (9, 0)), choose(True, (7, 0))
    assert (bf16.device, bf16.precision, old.precision) == ("cuda", "bfloat16", "fp32")
    assert flops_rate("cuda", bf16.precision) == FLOPS_CUDA["bfloat16"] > 5 * flops_rate("cuda", old.precision)
    assert run.seconds("cuda", bf16.precision) < run.seconds("cuda", old.precision)

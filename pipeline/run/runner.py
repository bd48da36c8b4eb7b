"""Run a config: for every model x seed x intermediate condition, the intermediate phase, then each target
task (trained, or retrieval straight on the encoder), evaluated on each language clean and under each of the
config's perturbations, one store batch per (target task, seed) so a killed run never leaves a partial task in
the store. Each (run, task)'s per-example predictions are stored beside the store first (``pipeline.examples``).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import torch

from pipeline.data.spec import target_data
from pipeline.examples import ExampleSink, ExampleStore, examples_of
from pipeline.models.device import DeviceChoice, allocated_cpus, select_device
from pipeline.models.loading import canonical_model_name, encoder_parameter_count, load_tokenizer
from pipeline.run.conditions import Condition, evaluation_conditions
from pipeline.run.config import Intermediate, RunConfig
from pipeline.run.context import Encoder, RunContext
from pipeline.run.evaluation import Scores, evaluate_retrieval, evaluate_trained
from pipeline.run.export import export_root
from pipeline.run.intermediate import encoder_model, intermediate_phase
from pipeline.run.target import target_phase
from pipeline.store import InsertReport, ResultsStore
from pipeline.tasks import get_target_task
from pipeline.testing.fixtures import build_fixture_data, needs_fixture_build
from pipeline.testing.tiny_model import build_tiny_model

_REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Cell:
    """One run of the grid and what its rows say about it."""

    run_id: str
    model_name: str
    is_test_model: bool
    seed: int
    intermediate: Intermediate
    mlm: bool
    baseline_run_id: str | None
    provenance: str


def git_commit() -> str | None:
    """The checkout's commit, if this is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def build_test_assets(config: RunConfig) -> None:
    """Build the tiny model at each missing model path and the fixture data at a data_dir that lacks it (or holds
    an older version of it)."""
    for model_id in config.models:
        if not Path(model_id).exists():
            build_tiny_model(model_id)
    if config.data_dir and needs_fixture_build(config.data_dir):
        build_fixture_data(config.data_dir)


def _rows(cell: Cell, task_id: str, results: Scores, model_params: int, split: str, policy: str,
          device: DeviceChoice) -> list[dict]:
    rows = []
    for (lang, perturbation), result in results.items():
        notes = "; ".join(n for n in (policy, result["notes"], f"data {result['source']} (n={result['n_examples']})",
                                      f"device {device.device}/{device.precision}") if n)
        for metric, value in result["metrics"].items():
            rows.append({
                "run_id": cell.run_id, "source": "run", "provenance": cell.provenance, "model": cell.model_name,
                "model_params": model_params, "intermediate_task": cell.intermediate.store_id(),
                "intermediate_languages": ",".join(cell.intermediate.languages), "mlm_cotraining": cell.mlm,
                "target_task": task_id, "language": lang, "metric": metric, "value": value, "split": split,
                "setting": "zero-shot", "seed": cell.seed, "perturbation": perturbation,
                "baseline_run_id": cell.baseline_run_id, "test_artifact": cell.is_test_model, "notes": notes,
            })
    return rows


def _target_rows(ctx: RunContext, cell: Cell, task_id: str, encoder: Encoder,
                 conditions: tuple[Condition, ...], examples: ExampleStore) -> list[dict]:
    languages = ctx.config.languages_of(task_id)
    export = export_root(ctx.config, cell.run_id)
    sink = ExampleSink(examples, cell.run_id, task_id, ctx.tokenizer)
    if target_data(get_target_task(task_id)).head == "retrieval":
        model = encoder_model(ctx, encoder)
        results = evaluate_retrieval(ctx, task_id, model, encoder.key, languages, conditions, export, sink)
        policy = encoder.policy
    else:
        model, key, report = target_phase(ctx, task_id, encoder)
        results = evaluate_trained(ctx, task_id, model, key, languages, conditions, export, sink)
        policy = "; ".join(p for p in (encoder.policy, report["policy"]) if p)
    sink.commit()
    return _rows(cell, task_id, results, encoder_parameter_count(model), ctx.config.eval_split, policy, ctx.device)


def run_config(config: RunConfig, config_path: str, store: ResultsStore) -> list[InsertReport]:
    """Run every cell of ``config``; returns one store report per (cell, target task) batch."""
    if config.build_test_assets:
        build_test_assets(config)
    threads, wanted = torch.get_num_threads(), config.torch_threads or allocated_cpus()
    if wanted is not None:
        torch.set_num_threads(wanted)
    try:
        return _run_cells(config, config_path, store)
    finally:
        torch.set_num_threads(threads)  # a caller in the same process (tests, notebooks) keeps its setting


def _run_cells(config: RunConfig, config_path: str, store: ResultsStore) -> list[InsertReport]:
    device, commit = select_device(), git_commit() or "no-git"
    conditions = evaluation_conditions(config)
    root = Path(config.output_dir) / "phases"
    examples = examples_of(store)
    reports = []
    for model_id in config.models:
        tokenizer = load_tokenizer(model_id)
        model_name, is_test = canonical_model_name(model_id)
        for seed in config.seeds:
            ctx = RunContext(config, model_id, seed, tokenizer, device, root)
            baseline = next((i for i in config.intermediate if i.is_baseline), None)
            baseline_id = config.run_id(model_id, baseline, seed) if baseline is not None else None
            for spec in config.intermediate:
                run_id = config.run_id(model_id, spec, seed)
                cell = Cell(run_id, model_name, is_test, seed, spec, config.mlm_for(spec),
                            None if spec.is_baseline else baseline_id, f"{config_path}#run_id={run_id}@{commit}")
                encoder = intermediate_phase(ctx, spec)
                for task_id in config.targets:
                    rows = _target_rows(ctx, cell, task_id, encoder, conditions, examples)
                    reports.append(store.insert_results(rows, label=f"run {run_id} {task_id}"))
                if config.export_predictions:
                    print(f"predictions of run {run_id} (XTREME layout): {export_root(config, run_id)}/<perturbation>/")
    return reports

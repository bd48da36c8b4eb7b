"""`run`, `validate-config` and `build-tiny`: run STILTs experiment configs and build the offline test assets."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from pipeline.cli.common import UserError, add_store_argument, open_store
from pipeline.run.config import RunConfig
from pipeline.run.config_file import read_config


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="run a STILTs experiment config and store its results")
    run.add_argument("config", help="YAML run config (see data/configs/)")
    add_store_argument(run)
    run.add_argument("--data-dir", help="local mirror of the datasets (<dir>/<dataset id>/<config>/<split>.jsonl); "
                                        "overrides the config's data_dir")
    run.add_argument("--model-dir", help="folder holding local copies of the config's models (<dir>/<model id>, "
                                         "saved with save_pretrained); used where a copy exists")
    run.add_argument("--skip-preflight", action="store_true",
                     help="start without checking first that every model and split loads (see preflight)")
    run.set_defaults(handler=_run)
    validate = subparsers.add_parser("validate-config", help="check a run config without running it")
    validate.add_argument("config")
    validate.set_defaults(handler=_validate)
    tiny = subparsers.add_parser("build-tiny", help="build the tiny test model and fixture datasets (offline)")
    tiny.add_argument("out_dir", help="writes OUT_DIR/model and OUT_DIR/data")
    tiny.set_defaults(handler=_build_tiny)


def _quiet_libraries() -> None:
    """Keep the terminal for our progress bars: no per-load reports from transformers/datasets."""
    import datasets
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.utils.logging.set_verbosity_error()
    datasets.disable_progress_bars()
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    # torch/transformers/datasets load only when a run starts, so the other commands stay fast.
    from pipeline.data.load import DataUnavailableError
    from pipeline.data.spec import DataSpecError
    from pipeline.cli.data_commands import require_preflight
    from pipeline.models.loading import ModelUnavailableError
    from pipeline.run.runner import build_test_assets, run_config

    config = with_local_copies(read_config(args.config), args.data_dir, args.model_dir)
    store = open_store(args)
    _quiet_libraries()
    if not args.skip_preflight:
        if config.build_test_assets:
            build_test_assets(config)
        require_preflight(config)
    try:
        reports = run_config(config, args.config, store)
    except (DataUnavailableError, ModelUnavailableError, DataSpecError) as exc:
        raise UserError(str(exc)) from None
    n_rows = sum(r.n_rows for r in reports)
    n_new = sum(r.n_new for r in reports)
    print(f"{n_rows} result rows ({n_new} new) from {len(reports)} task batches written to {store.name}")
    return 0


def with_local_copies(config: RunConfig, data_dir: str | None, model_dir: str | None) -> RunConfig:
    """``config`` reading data from ``data_dir`` and each model from ``model_dir/<model id>`` when present."""
    update: dict = {}
    if data_dir is not None:
        if not Path(data_dir).is_dir():
            raise UserError(f"--data-dir {data_dir} is not a directory")
        update["data_dir"] = data_dir
    if model_dir is not None:
        if not Path(model_dir).is_dir():
            raise UserError(f"--model-dir {model_dir} is not a directory")
        local = [str(Path(model_dir) / m) if (Path(model_dir) / m).is_dir() else m for m in config.models]
        update["models"] = tuple(local)
    return config.model_copy(update=update)


def _validate(args: argparse.Namespace) -> int:
    config = read_config(args.config)
    n_runs = len(config.models) * len(config.intermediate) * len(config.seeds)
    print(f"{args.config}: valid ({n_runs} runs x {len(config.targets)} target tasks)")
    return 0


def _build_tiny(args: argparse.Namespace) -> int:
    from pipeline.testing.fixtures import build_fixture_data
    from pipeline.testing.tiny_model import build_tiny_model

    out = Path(args.out_dir)
    print(f"model: {build_tiny_model(out / 'model')}\ndata: {build_fixture_data(out / 'data')}")
    return 0

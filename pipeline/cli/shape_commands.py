"""`shape-check`: a few optimizer steps of every training shape of a config on a real-size model with random
weights (no download), timed and measured beside the Runs page's estimate, before a GPU-day is spent."""

from __future__ import annotations

import argparse
import gc
import os

from pipeline.cli.common import UserError
from pipeline.cli.run_commands import read_config


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser("shape-check", help="time a few training steps of every phase of a config at its "
                                                      "real sizes, on random weights")
    check.add_argument("config", help="YAML run config")
    check.add_argument("--steps", type=int, default=3, help="optimizer steps per shape (default 3)")
    check.add_argument("--model", action="append", help="only this model of the config (repeatable)")
    check.add_argument("--task", action="append", help="only shapes of this task (repeatable)")
    check.add_argument("--gpu-memory-fraction", type=float, metavar="F",
                       help="cap GPU memory at this fraction (provokes the out-of-memory back-off on purpose)")
    check.add_argument("--cpu-memory-headroom-mib", type=int, metavar="MIB",
                       help="on CPU, cap the address space this far above what is mapped when the check starts "
                            "(RLIMIT_AS): provokes the out-of-memory back-off on purpose")
    check.set_defaults(handler=_shape_check)


def _shape_check(args: argparse.Namespace) -> int:
    import torch

    from pipeline.jobs.device import describe_device
    from pipeline.jobs.estimate import model_dims
    from pipeline.models.device import select_device
    from pipeline.shapecheck.architectures import UnknownArchitecture, model_config
    from pipeline.shapecheck.measure import measure
    from pipeline.shapecheck.memory import limit_memory
    from pipeline.shapecheck.report import Line, format_table
    from pipeline.shapecheck.shapes import training_shapes
    from pipeline.train.loop import is_out_of_memory

    if args.steps < 1:
        raise UserError("--steps must be at least 1")
    if args.gpu_memory_fraction is not None and not 0 < args.gpu_memory_fraction <= 1:
        raise UserError("--gpu-memory-fraction must be in (0, 1]")
    config = read_config(args.config)
    if config.torch_threads is not None:
        torch.set_num_threads(config.torch_threads)
    shapes = {s: p for s, p in training_shapes(config).items() if not args.task or s.task in args.task}
    if not shapes:
        raise UserError("no training shape to check (retrieval tasks train nothing; check --task)")
    models = [m for m in config.models if not args.model or m in args.model]
    if not models:
        raise UserError(f"--model names none of the config's models: {', '.join(config.models)}")
    device = select_device()
    name = torch.cuda.get_device_name() if device.device.startswith("cuda") else ""
    cores = os.cpu_count() or 1
    print(f"device: {describe_device()}; {args.steps} optimizer step(s) per shape, full-length synthetic rows")
    for model_id in models:
        try:
            config_hf = model_config(model_id)
        except UnknownArchitecture as exc:
            raise UserError(str(exc)) from None
        dims = model_dims(model_id, False)
        limited = limit_memory(device.device, args.gpu_memory_fraction, args.cpu_memory_headroom_mib)
        print(f"\n{model_id}: {config_hf.model_type}, hidden {config_hf.hidden_size}, {config_hf.num_hidden_layers} "
              f"layers, vocabulary {config_hf.vocab_size:,}; random weights{'; ' + limited if limited else ''}")
        lines = []
        for shape, phases in shapes.items():
            try:
                lines.append(Line(shape, phases, measure(config_hf, shape, args.steps, device)))
            except RuntimeError as exc:
                if not is_out_of_memory(exc):
                    raise
                lines.append(Line(shape, phases, None, f"out of memory even at micro-batch 1: {str(exc)[:80]}"))
            gc.collect()
        print(format_table(lines, dims, device.device, device.precision, cores, name))
    return 0

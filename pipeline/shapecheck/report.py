"""Shape-check figures beside the Runs page's estimate: seconds per step, peak memory, the sustained FLOP rate
and, on a GPU in bf16, the model FLOPs utilisation (MFU) against the device's dense bf16 peak. On CPU the rate
per core is also given from the process's CPU time, which is what ``FLOPS_PER_CPU_CORE`` is calibrated on
(wall time on a shared machine depends on the other jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.jobs.estimate import Dims, step_seconds
from pipeline.shapecheck.measure import Measurement
from pipeline.shapecheck.shapes import Shape

#: Dense bf16 tensor-core peaks (vendor data sheets), matched against the CUDA device name in this order.
BF16_PEAK_FLOPS = (("H100 PCIe", 756e12), ("H100", 989e12), ("H200", 989e12), ("GH200", 989e12),
                   ("A100", 312e12), ("L40S", 362e12), ("L4", 121e12))


def bf16_peak(device_name: str) -> float | None:
    """The dense bf16 peak of a CUDA device by name; None when not listed."""
    return next((peak for key, peak in BF16_PEAK_FLOPS if key in device_name), None)


@dataclass(frozen=True)
class Line:
    shape: Shape
    phases: list[str]
    measured: Measurement | None
    error: str = ""


def step_flops(shape: Shape, dims: Dims) -> float:
    """Model FLOPs of one optimizer step of ``shape`` at full length (the estimate's count)."""
    return shape.tokens_per_step() * dims.flops_per_token(shape.seq_len, mlm=shape.head == "mlm")


def _mib(n: int | None) -> str:
    return f"{n / 2**20:,.0f} MiB" if n is not None else "?"


def format_table(lines: list[Line], dims: Dims, device: str, precision: str, cores: int, device_name: str) -> str:
    """One row per shape: what it trains and the measured figures beside the estimate's."""
    peak = bf16_peak(device_name) if device.startswith("cuda") and precision == "bfloat16" else None
    on_cpu = not device.startswith("cuda")
    header = ("task", "head", "seq x micro-batch x accum", "s/step", "estimate s/step", "peak memory",
              "sustained FLOP/s", "per CPU-s" if on_cpu else "MFU", "phases")
    rows = [header]
    for line in lines:
        s, flops = line.shape, step_flops(line.shape, dims)
        estimated = f"{step_seconds(dims, flops, device, precision, cores):.2f}"
        size = f"{s.seq_len} x {s.batch_size}{f' ({s.sequences} seqs)' if s.sequences != s.batch_size else ''}" \
               f" x {s.accumulation}"
        m = line.measured
        if m is None:
            rows.append((s.task, s.head, size, "error", estimated, "", "", "", line.error))
            continue
        if (m.micro_batch, m.accumulation) != (s.batch_size, s.accumulation):
            size += f" -> OOM: {m.micro_batch} x {m.accumulation}"
        achieved = flops / m.seconds_per_step
        if on_cpu:
            last = f"{flops / m.cpu_seconds_per_step:.3g}"
        else:
            last = f"{achieved / peak:.1%}" if peak else "-"
        rows.append((s.task, s.head, size, f"{m.seconds_per_step:.2f}", estimated, _mib(m.peak_bytes),
                     f"{achieved:.3g}", last, ", ".join(line.phases[:3]) + (" …" if len(line.phases) > 3 else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(len(widths))) + "  " + r[-1] for r in rows)

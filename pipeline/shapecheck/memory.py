"""Peak memory of a phase, and a memory ceiling to provoke a real out-of-memory error on purpose.

CUDA: the caching allocator's peak (``max_memory_allocated``), and ``set_per_process_memory_fraction`` as the
ceiling. CPU: the process's peak resident set (``VmHWM``, reset through ``/proc/self/clear_refs``), and as the
ceiling an address-space limit (``RLIMIT_AS``) a given number of MiB above what is mapped now: torch's CPU
allocator then fails exactly as a full GPU does (the training loop treats both as out of memory).
"""

from __future__ import annotations

import resource
from pathlib import Path

import torch

_STATUS, _CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        line = next(line for line in _STATUS.read_text().splitlines() if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1])


def reset_peak(device: str) -> None:
    """Start a new peak measurement."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        return
    try:
        _CLEAR_REFS.write_text("5")  # resets VmHWM to the current resident set (Linux)
    except OSError:
        pass


def peak_bytes(device: str) -> int | None:
    """Peak memory since ``reset_peak``: allocated GPU memory, or the process's resident set on CPU."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated()
    kib = _status_kib("VmHWM")
    return kib * 1024 if kib is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def limit_memory(device: str, gpu_fraction: float | None = None, cpu_headroom_mib: int | None = None) -> str:
    """Cap this process's memory for the rest of its life; returns what was done, for the report."""
    if device.startswith("cuda") and gpu_fraction is not None:
        torch.cuda.set_per_process_memory_fraction(gpu_fraction)
        return f"GPU memory capped at {gpu_fraction:.0%} of the device (set_per_process_memory_fraction)"
    if not device.startswith("cuda") and cpu_headroom_mib is not None:
        mapped = (_status_kib("VmSize") or 0) * 1024
        limit = mapped + cpu_headroom_mib * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
        return f"address space capped at {cpu_headroom_mib} MiB above the {mapped / 2**30:.1f} GiB mapped (RLIMIT_AS)"
    return ""

"""Device and precision: CUDA with bf16 autocast when the GPU supports it, else CPU in fp32.

One function decides, so training and evaluation always agree; ``choose`` takes the facts as arguments
so the decision can be tested without a GPU.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

import torch

#: bf16 tensor cores arrived with compute capability 8.0 (Ampere).
_BF16_MIN_CAPABILITY = (8, 0)


@dataclass(frozen=True)
class DeviceChoice:
    """Where to run and in which autocast precision (None: plain fp32)."""

    device: str
    autocast_dtype: torch.dtype | None

    @property
    def precision(self) -> str:
        return "fp32" if self.autocast_dtype is None else str(self.autocast_dtype).removeprefix("torch.")

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast context for forward passes (a no-op in fp32)."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.split(":")[0], dtype=self.autocast_dtype)


def choose(cuda_available: bool, capability: tuple[int, int] | None) -> DeviceChoice:
    """The device for the given hardware facts: bf16 on CUDA from capability 8.0, fp32 otherwise."""
    if not cuda_available:
        return DeviceChoice("cpu", None)
    bf16 = capability is not None and tuple(capability) >= _BF16_MIN_CAPABILITY
    return DeviceChoice("cuda", torch.bfloat16 if bf16 else None)


def allocated_cpus(environ: Mapping[str, str] = os.environ) -> int | None:
    """The CPUs SLURM allocated to this task (``SLURM_CPUS_PER_TASK``); None outside an allocation.

    torch would otherwise start one thread per core of the whole node, oversubscribing the allocation.
    """
    value = environ.get("SLURM_CPUS_PER_TASK", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def select_device() -> DeviceChoice:
    """The device of this machine."""
    available = torch.cuda.is_available()
    return choose(available, torch.cuda.get_device_capability() if available else None)

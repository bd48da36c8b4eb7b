"""A person-readable name for the device runs use here, from the pipeline's own device choice."""

from __future__ import annotations

import os


def describe_device() -> str:
    """"GPU: <name>, <memory> GiB, bf16" or "CPU (<n> threads, …), fp32" — what ``select_device`` picks here.

    GPUs are the visible ones (``CUDA_VISIBLE_DEVICES``, which SLURM sets); CPU threads follow a SLURM
    allocation (``SLURM_CPUS_PER_TASK``) as the run itself does.
    """
    import torch  # only here: the queue and the CLI stay fast to import

    from pipeline.models.device import allocated_cpus, select_device

    choice = select_device()
    if choice.device.startswith("cuda"):
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        count = torch.cuda.device_count()
        more = f" (+{count - 1} more)" if count > 1 else ""
        return f"GPU: {props.name}, {props.total_memory / 2**30:.0f} GiB{more}, {choice.precision}"
    allocated = allocated_cpus()
    threads = allocated or torch.get_num_threads()
    cores = f"{allocated} of {os.cpu_count()} cores allocated" if allocated else f"{os.cpu_count()} cores"
    return f"CPU ({threads} thread{'s' if threads != 1 else ''}, {cores}), {choice.precision}"

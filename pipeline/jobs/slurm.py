"""What SLURM itself says about the jobs the Atlas submitted: ``scontrol``, ``scancel`` and ``sinfo``.

A job can end in SLURM without its Python ever reporting: cancelled or killed while waiting, killed
before Python started, stopped at its time limit, its node lost. The worker on the login node asks
``scontrol`` (no accounting database needed; it knows finished jobs for ``MinJobAge``, 300 s by default)
and explains each ending in words. Cancelling goes through ``scancel`` only: a job's process runs on
another machine, where a local signal would hit an unrelated process.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

#: SLURM states after which a job never runs again.
ENDED = frozenset({"BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY",
                   "PREEMPTED", "REVOKED", "SPECIAL_EXIT", "TIMEOUT"})
_TIMEOUT_S = 30
_FIELD = re.compile(r"(\w+)=(\S*)")


@dataclass(frozen=True)
class SlurmJob:
    """One job as ``scontrol show job`` describes it."""

    job_id: str
    state: str
    reason: str
    exit_code: str
    time_limit: str

    @property
    def ended(self) -> bool:
        return self.state in ENDED


class SlurmUnavailable(RuntimeError):
    """``scontrol`` could not be run or did not answer; the jobs' states are unknown, not changed."""


def parse_jobs(text: str) -> dict[str, SlurmJob]:
    """Jobs by id from ``scontrol -o show job`` output (one job per line of Key=Value fields)."""
    jobs = {}
    for line in text.splitlines():
        fields = dict(_FIELD.findall(line))
        if "JobId" in fields:
            jobs[fields["JobId"]] = SlurmJob(fields["JobId"], fields.get("JobState", "UNKNOWN"),
                                             fields.get("Reason", "None"), fields.get("ExitCode", ""),
                                             fields.get("TimeLimit", ""))
    return jobs


def known_jobs() -> dict[str, SlurmJob]:
    """Every job slurmctld knows now (queued, running, or ended less than ``MinJobAge`` ago)."""
    try:
        done = subprocess.run(["scontrol", "-o", "show", "job"], capture_output=True, text=True,
                              timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SlurmUnavailable(f"scontrol did not answer: {exc}") from None
    if done.returncode != 0 and "No jobs in the system" not in done.stdout + done.stderr:
        raise SlurmUnavailable(f"scontrol failed: {(done.stderr or done.stdout).strip()[:200]}")
    return parse_jobs(done.stdout)


def scancel(job_id: str) -> str | None:
    """Ask SLURM to cancel a job; returns SLURM's complaint, or None when it accepted."""
    try:
        done = subprocess.run(["scancel", job_id], capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip()


def explain_end(job: SlurmJob | None, slurm_id: str, timeout_min: int) -> str:
    """Why a job that never reported its end stopped, in SLURM's words (``job`` None: SLURM forgot it)."""
    retry = "; retry resumes from the finished phases"
    if job is None:
        return f"SLURM job {slurm_id} ended without reporting and SLURM no longer knows it{retry}"
    reason = f", reason {job.reason}" if job.reason not in ("", "None") else ""
    if job.state == "TIMEOUT":
        return (f"SLURM stopped job {slurm_id} at its time limit of {timeout_min} min (TIMEOUT): raise timeout_min "
                f"in the execution file{retry}")
    if job.state == "CANCELLED":
        return f"SLURM job {slurm_id} was cancelled in SLURM (scancel or an administrator{reason}){retry}"
    if job.state == "COMPLETED":
        return f"SLURM job {slurm_id} completed without reporting its end to the queue{retry}"
    return f"SLURM job {slurm_id} ended as {job.state} (exit code {job.exit_code}{reason}){retry}"


def partition_gpus(partition: str | None) -> int | None:
    """GPUs configured per node of ``partition`` (its default if None): 0 for a CPU-only partition, None
    when SLURM cannot be asked here."""
    command = ["sinfo", "-h", "-o", "%G"] + (["-p", partition] if partition else [])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    counts = [int(n) for gres in done.stdout.split() for n in re.findall(r"gpu(?::[^:,()]+)?:(\d+)", gres)]
    return max(counts, default=0)


def explain_submit_error(message: str, gpus_per_node: int) -> str:
    """An sbatch refusal with the fix a person needs (GPUs asked of a partition that has none)."""
    if gpus_per_node and "generic resource" in message.lower():
        return (f"{message.strip()} — the partition has no GPUs configured (sinfo -o %G shows none): "
                "set gpus_per_node: 0 for a CPU-only cluster")
    return message.strip()

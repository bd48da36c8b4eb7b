"""Where the job queue keeps its files: beside the results store it feeds.

The queue is its own SQLite file (``atlas.jobs.db`` next to ``atlas.db``) rather than tables in the
store, so the store's schema and migrations stay about results only; both are WAL-mode SQLite. Per-job
files (the config snapshot, the log) live under ``cache/jobs/<store name>/`` beside the store, which
``.gitignore`` already covers for the default ``data/`` store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class JobPaths:
    """Every path the queue uses for one results store."""

    store: Path

    @property
    def db(self) -> Path:
        return self.store.with_name(f"{self.store.stem}.jobs.db")

    @property
    def root(self) -> Path:
        return self.store.parent / "cache" / "jobs" / self.store.stem

    def job_dir(self, job_id: int) -> Path:
        return self.root / str(job_id)

    def config_file(self, job_id: int) -> Path:
        return self.job_dir(job_id) / "config.yaml"

    def log_file(self, job_id: int, attempt: int) -> Path:
        """The run's output of one attempt (earlier attempts' logs are kept)."""
        return self.job_dir(job_id) / f"log-{attempt}.txt"

    @property
    def embedded_lock(self) -> Path:
        """Held (flock) by the one embedded worker the dashboard starts."""
        return self.root / "embedded-worker.lock"

    @property
    def embedded_log(self) -> Path:
        return self.root / "embedded-worker.log"

    @property
    def submitit_dir(self) -> Path:
        """submitit's folder for cluster jobs (its pickles, SLURM scripts and logs)."""
        return self.root / "submitit"

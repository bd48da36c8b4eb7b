"""Where the job queue keeps its data: beside (or inside) the results store it feeds.

For a SQLite store the queue is its own SQLite file (``atlas.jobs.db`` next to ``atlas.db``), so the
store's schema and migrations stay about results only; for a PostgreSQL store it is two tables in the
same database (the nodes of a cluster must never write SQLite over a network file system). Per-job
files (the config snapshot, the log, the run's outputs, submitit's folder) live under
``cache/jobs/<store name>/`` beside a SQLite store, except for a store inside the checkout (the
default ``data/atlas.db``): Streamlit watches the checkout recursively from ``app.py``'s folder, and a
run's thousands of files there flood its watcher, so they go to the work folder ``$ATLAS_WORK_DIR``
(default ``~/.cache/transfer-atlas``). A PostgreSQL store's go to ``$ATLAS_JOBS_DIR``, else
``<work folder>/jobs/<database>-<hash>`` (``places.py``): on SLURM, a folder the nodes share (plain files only, which
are safe on a network file system).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.store.database import is_url
from pipeline.store.places import WORK_ENV, database_folder, work_root

#: The checkout: the folder Streamlit watches when it serves ``app.py``.
CHECKOUT = Path(__file__).resolve().parents[2]
JOBS_DIR_ENV = "ATLAS_JOBS_DIR"
__all__ = ["CHECKOUT", "JOBS_DIR_ENV", "WORK_ENV", "JobPaths", "inside_checkout", "outputs_outside_checkout",
           "work_root"]


def inside_checkout(path: Path | str) -> bool:
    """Whether ``path`` (relative paths as a run resolves them: from the checkout) lies in the checkout."""
    resolved = (CHECKOUT / path).resolve()
    return resolved == CHECKOUT or CHECKOUT in resolved.parents


def outputs_outside_checkout(config_yaml: str, runs: Path) -> str:
    """The job's config with its ``output_dir`` moved to ``runs`` when it would write inside the checkout.

    ``output_dir`` is not part of a run's identity (its run id and phase keys ignore it), so moving it
    changes where files go, never which results a run produces.
    """
    raw = yaml.safe_load(config_yaml)
    if not isinstance(raw, dict) or not inside_checkout(str(raw.get("output_dir", "data/cache/runs"))):
        return config_yaml
    raw["output_dir"] = str(runs)
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


@dataclass(frozen=True)
class JobPaths:
    """Every location the queue uses for one results store."""

    store: str
    root: Path

    @classmethod
    def for_store(cls, store: str | os.PathLike[str]) -> JobPaths:
        location = str(store)
        if not is_url(location):
            path = Path(location)
            base = work_root() if inside_checkout(path) else path.parent / "cache"
            return cls(location, base / "jobs" / path.stem)
        if os.environ.get(JOBS_DIR_ENV):
            return cls(location, Path(os.environ[JOBS_DIR_ENV]))
        return cls(location, work_root() / "jobs" / database_folder(location))

    @property
    def db(self) -> str:
        """The queue's database: a SQLite file beside the store's, or the store's own PostgreSQL database."""
        if is_url(self.store):
            return self.store
        path = Path(self.store)
        return str(path.with_name(f"{path.stem}.jobs.db"))

    @property
    def runs(self) -> Path:
        """Where the queue's runs write their outputs when their config would write inside the checkout."""
        return self.root / "runs"

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

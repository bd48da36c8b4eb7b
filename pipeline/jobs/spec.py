"""What a job is: a validated run config, the run ids of its cells, and where it should execute.

The job's key is a hash of its cells' run ids (each a content hash of the config narrowed to one
model x intermediate condition x seed), so two configs that would compute the same results share a key
whatever their name or output folder: that is how a finished config is recognised on re-submit.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import UserError
from pipeline.run.config import RunConfig, content_hash
from pipeline.run.config_file import read_config


class Execution(BaseModel):
    """Where a job runs: this machine's worker, or a SLURM cluster through submitit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["local", "slurm"] = "local"
    partition: str | None = Field(None, description="SLURM partition (default: the cluster's)")
    gpus_per_node: int = Field(1, ge=0)
    cpus_per_task: int = Field(8, gt=0)
    mem_gb: int | None = Field(None, gt=0)
    timeout_min: int = Field(24 * 60, gt=0, description="SLURM time limit in minutes")
    preflight: bool = Field(True, description="first check that every model and split loads (run --skip-preflight)")
    allow_sqlite_store: bool = Field(False, description="SLURM with a SQLite store: only where every node is the "
                                                        "store's own host (SQLite must not be shared over a network)")


@dataclass(frozen=True)
class Cell:
    """One run of a config's grid."""

    model: str
    intermediate: str
    mlm: bool
    seed: int
    run_id: str


@dataclass(frozen=True)
class JobSpec:
    """A submission: the config's YAML as given, its validated form and its identity."""

    name: str
    config_yaml: str
    config: RunConfig
    execution: Execution

    @property
    def cells(self) -> list[Cell]:
        c = self.config
        return [Cell(model, spec.store_id(), c.mlm_for(spec), seed, c.run_id(model, spec, seed))
                for model in c.models for seed in c.seeds for spec in c.intermediate]

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(cell.run_id for cell in self.cells)

    @property
    def key(self) -> str:
        """Identity of what the job computes (not of its name, output folder or backend)."""
        return content_hash(sorted(self.run_ids))

    @property
    def units(self) -> int:
        """Store batches the run writes: one per cell and target task."""
        return len(self.run_ids) * len(self.config.targets)


def config_from_yaml(text: str, source: str) -> RunConfig:
    """Validate YAML ``text`` exactly as ``python -m pipeline run`` would, naming ``source`` in the message.

    Raises UserError with the CLI's one-line, field-located message.
    """
    with tempfile.TemporaryDirectory(prefix="atlas-config-") as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return read_config(str(path))
        except UserError as exc:
            raise UserError(str(exc).replace(str(path), source)) from None


def parse_execution(raw: object, source: str) -> Execution:
    """Execution settings from a mapping (e.g. a YAML file's contents), with a one-line error."""
    try:
        return Execution.model_validate(raw or {})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "execution"
        raise UserError(f"{source}: {where}: {error['msg']}") from None


def read_execution(path: str) -> Execution:
    """Execution settings from a YAML file (``backend: slurm``, ``partition``, ``gpus_per_node`` …)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"no such execution file: {path}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_execution(raw, path)


def job_spec(config_yaml: str, source: str, execution: Execution | None = None) -> JobSpec:
    """The job for a config's YAML text (refused with the validation message if the config is invalid)."""
    config = config_from_yaml(config_yaml, source)
    name = config.name or Path(source).stem
    return JobSpec(name, config_yaml, config, execution or Execution())


#: Folder of the saved configs the Runs page offers (default: the shipped data/configs/).
CONFIGS_ENV = "ATLAS_CONFIG_DIR"
_SHIPPED_CONFIGS = Path(__file__).resolve().parents[2] / "data" / "configs"


def saved_configs() -> list[Path]:
    """The saved run configs (``$ATLAS_CONFIG_DIR`` or data/configs/), by name."""
    folder = Path(os.environ.get(CONFIGS_ENV) or _SHIPPED_CONFIGS)
    return sorted(folder.glob("*.yaml"))

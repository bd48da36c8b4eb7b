"""Where a run writes its predictions in the XTREME layout (``export_predictions: true``).

One folder per run and evaluation condition: ``<output_dir>/exports/<run_id>/<perturbation>/`` holding
``predictions/<task>/<split>-<lang>.<ext>`` and ``labels/...`` (``pipeline.scoring.export``), and the examples
themselves in ``inputs/<task>/<split>-<lang>.jsonl`` (``pipeline.examples.imported``), so

    python -m pipeline score --predictions <folder>/predictions --labels <folder>/labels --split <split> ...

re-scores a run with the same metric code (``--inputs <folder>/inputs`` keeps its per-example predictions),
and the predictions can be shared or submitted.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.run.config import RunConfig
from pipeline.scoring.layout import file_name, folder_name


def export_root(config: RunConfig, run_id: str) -> Path | None:
    """The run's export folder, or None when the config does not export predictions."""
    return Path(config.output_dir) / "exports" / run_id if config.export_predictions else None


def condition_folder(root: Path, perturbation: str) -> Path:
    """The XTREME-layout folder of one evaluation condition (``none``: clean inputs)."""
    return root / perturbation


def is_exported(folder: Path, task_id: str, split: str, lang: str) -> bool:
    """Whether ``folder`` holds both the predictions and the labels file of ``lang``."""
    name = file_name(task_id, split, lang)
    return all((folder / kind / folder_name(task_id) / name).is_file() for kind in ("predictions", "labels"))

"""Which runs have stored examples, and how to name them: the results store says what a run is (model,
intermediate task, seed, baseline, whether it is a test artefact); the example store says which tasks it kept.
"""

from __future__ import annotations

import pandas as pd

from pipeline.tasks import BASELINE

#: Columns of a run catalogue (one row per run and task with stored examples).
CATALOGUE_COLUMNS = ["run_id", "task_id", "model", "intermediate_task", "intermediate_languages", "mlm_cotraining",
                     "seed", "baseline_run_id", "test_artifact", "label"]
_DESCRIBED = ["model", "intermediate_task", "intermediate_languages", "mlm_cotraining", "seed", "baseline_run_id",
              "test_artifact"]
TEST_ARTIFACT_MARK = "test artefact"


def _label(row: pd.Series) -> str:
    if pd.isna(row["model"]):
        return f"run {row['run_id']}"
    parts = [str(row["model"]), "baseline" if row["intermediate_task"] == BASELINE else str(row["intermediate_task"])]
    languages = row["intermediate_languages"]
    if row["intermediate_task"] != BASELINE and isinstance(languages, str) and languages not in ("", "en"):
        parts.append(f"in {languages}")
    if row["mlm_cotraining"] is True:
        parts.append("+MLM")
    if pd.notna(row["seed"]):
        parts.append(f"seed {int(row['seed'])}")
    if row["test_artifact"] is True:
        parts.append(TEST_ARTIFACT_MARK)
    return " · ".join(parts) + f" ({str(row['run_id'])[:8]})"


def run_catalogue(results: pd.DataFrame, index: pd.DataFrame) -> pd.DataFrame:
    """The stored (run_id, task_id) pairs of ``index`` described by their rows in ``results``."""
    described = results.loc[results["run_id"].isin(index["run_id"]), ["run_id", *_DESCRIBED]]
    described = described.drop_duplicates("run_id")
    catalogue = index[["run_id", "task_id"]].merge(described, on="run_id", how="left")
    catalogue["test_artifact"] = catalogue["test_artifact"].astype("boolean").fillna(False).astype(bool)
    catalogue["label"] = catalogue.apply(_label, axis=1) if len(catalogue) else pd.Series(dtype=str)
    return catalogue[CATALOGUE_COLUMNS].sort_values(["task_id", "label"]).reset_index(drop=True)


def resolve_run(catalogue: pd.DataFrame, text: str, task_id: str) -> str:
    """The run id of ``text`` (a run id or a unique prefix of one) among the runs with examples of ``task_id``."""
    runs = sorted(catalogue.loc[catalogue["task_id"] == task_id, "run_id"].unique())
    if text in runs:
        return text
    matches = [r for r in runs if r.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    if not runs:
        raise ValueError(f"no run has stored examples of {task_id!r}")
    shown = ", ".join(runs[:8]) + (" …" if len(runs) > 8 else "")
    what = "matches several runs" if matches else "is not a run with stored examples of that task"
    raise ValueError(f"{text!r} {what} of {task_id!r}; runs: {shown}")


def reference_run(catalogue: pd.DataFrame, run_id: str) -> str | None:
    """The baseline run of ``run_id`` if the store names one with examples, else None."""
    rows = catalogue[catalogue["run_id"] == run_id]
    baseline = rows["baseline_run_id"].dropna()
    if baseline.empty or not (catalogue["run_id"] == baseline.iloc[0]).any():
        return None
    return str(baseline.iloc[0])

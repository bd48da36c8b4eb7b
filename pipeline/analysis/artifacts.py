"""Test artefacts (results of the tiny test model) kept apart from findings.

The rule: a view shows test artefacts only when the person asks for them, except in a store that
holds nothing else (a fresh clone after the tiny run), where hiding them would leave nothing to see.
Wherever they are shown, their series carry ``ARTIFACT_MARK`` so that no chart, table or export can
pass one off as a finding.
"""

from __future__ import annotations

import pandas as pd

#: Appended to the model label of every test-artefact row that is shown.
ARTIFACT_MARK = " [test artefact]"
#: The one sentence every labelled export, caption and report section carries.
ARTIFACT_NOTE = "Includes test artefacts: results of a tiny test model that exercise the pipeline, not findings."


def include_by_default(test_artifact: pd.Series) -> bool:
    """Whether the "include test artefacts" switch starts on for a store with these flags:
    only when the store holds rows and every one of them is a test artefact."""
    return bool(len(test_artifact)) and bool(test_artifact.astype(bool).all())


def apply_artifact_rule(results: pd.DataFrame, include: bool) -> pd.DataFrame:
    """The rows a view may show: without test artefacts unless ``include``; with it, artefact rows
    keep their place but their model label says what they are (``ARTIFACT_MARK``)."""
    flags = results["test_artifact"].astype(bool)
    if not include:
        return results[~flags]
    if not flags.any():
        return results
    labels = results["model_label"].astype(str)
    return results.assign(model_label=labels.where(~flags, labels + ARTIFACT_MARK))


def has_test_artifacts(frame: pd.DataFrame) -> bool:
    """Whether any row of ``frame`` is (or aggregates) a test artefact."""
    return "test_artifact" in frame and bool(frame["test_artifact"].astype(bool).any())

"""Bring your own results: score XTREME-format prediction folders, import jiant runs, export predictions.

The lingua franca is the XTREME submission layout, ``<folder>/<task>/<split>-<lang>.<ext>``, with a labels
folder of the same shape (``layout``). Files are read as the official scorer (google-research/xtreme
``evaluate.py``) reads them (``readers``) and scored by ``pipeline.metrics`` — the project's one
implementation of each metric (``folder``). ``rows`` turns scores into results-store rows, ``report`` prints
and serialises the per-language table with the benchmark's averages, ``jiant`` reads jiant run directories,
and ``export`` writes a pipeline run's predictions and references in the same layout so they can be
re-scored, shared or submitted.

Every problem with a user's files raises ``ScoringError`` with a one-line message naming the file (and the
line where one applies); callers write nothing to the store when one is raised.
"""

from pipeline.scoring.errors import ScoringError
from pipeline.scoring.export import write_language
from pipeline.scoring.folder import LanguageScore, score_folder
from pipeline.scoring.jiant import JiantRun, jiant_rows, read_jiant_run
from pipeline.scoring.rows import Attribution, folder_rows, predictions_run_id

__all__ = [
    "Attribution",
    "JiantRun",
    "LanguageScore",
    "ScoringError",
    "folder_rows",
    "jiant_rows",
    "predictions_run_id",
    "read_jiant_run",
    "score_folder",
    "write_language",
]

"""Preflight of the official BUCC 2018 files (``retrieval.bucc_dir``): for each language the run evaluates, the
files ``read_bucc`` will open exist, are readable, and their first lines read with the reader's own
``read_lines``. Local only: the hub is never asked."""

from __future__ import annotations

from pathlib import Path

from pipeline.data.bucc import SPLITS, pair_folder, read_lines, split_files
from pipeline.preflight.result import Check
from pipeline.preflight.rows import FIRST_ROWS

#: Where the BUCC 2018 shared task's archives are published (XTREME downloads them from there).
RELEASE = "https://comparable.limsi.fr/bucc2018/"


def bucc_fix(task: str, lang: str) -> str:
    """Where to get a language pair's files and how the folder must be laid out."""
    return (f"get bucc2018-{lang}-en.sample-gold.tar.bz2 and bucc2018-{lang}-en.training-gold.tar.bz2 of the "
            f"BUCC 2018 shared task release ({RELEASE}); unpacked, they hold bucc2018/{lang}-en/{lang}-en."
            f"{{sample,training}}.{{{lang},en,gold}}: set retrieval.bucc_dir to that bucc2018 folder; "
            f"or drop {lang} from targets.{task}.languages")


def first_lines_problem(path: Path) -> str:
    """'' when the first lines of ``path`` read as ``read_bucc`` reads them, else why not (file and line)."""
    try:
        return "" if read_lines(path, FIRST_ROWS) else f"{path} is empty"
    except ValueError as exc:
        return str(exc)


def check_bucc_files(root: str, task: str, lang: str) -> Check:
    """One row for ``lang``: the sample and training files of ``{lang}-en`` under ``root``."""
    what, fix = f"BUCC 2018 files in {root}", bucc_fix(task, lang)
    if not Path(root).is_dir():
        return Check("fail", what, f"retrieval.bucc_dir {root} is not a folder", fix)
    try:
        folder = pair_folder(root, lang)
    except ValueError as exc:
        return Check("fail", what, str(exc), fix)
    paths = [path for split in SPLITS.values() for path in split_files(folder, lang, split)]
    for path in paths:
        problem = first_lines_problem(path)
        if problem:
            return Check("fail", what, problem, fix)
    return Check("ok", f"BUCC 2018 files in {folder}", f"{len(paths)} files; first lines parse")

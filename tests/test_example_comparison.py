"""The Examples page's comparison (``example_comparison.compare``) on fixed synthetic runs gives exactly the numbers
pinned in ``fixtures/example_comparison.json``, which the first implementation made: a faster path may not move one
bit of a score, interval, p-value, heatmap cell or paired example. Regenerate the pins only for an intended change:
``python -m tests.test_example_comparison``."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.example_comparison import EVERY_CONDITION, Comparison, Side, compare
from pipeline.examples import ExampleStore
from pipeline.examples.records import DTYPES, typed

PINS = Path(__file__).parent / "fixtures" / "example_comparison.json"
LANGUAGES = ("de", "hi", "zh")
NOISE = "char_noise@0.1"
#: (task, A, B, language, bucket attribute): tagging, QA (fractional scores) and classification; runs on the same
#: data (rows line up) and on a subset of it (joined by key); one condition each side and every condition.
CASES = [
    ("panx", Side("trained"), Side("base"), "de", "length"),
    ("panx", Side("trained"), Side("base"), "hi", "entity_types"),
    ("panx", Side("partial"), Side("base"), "zh", "n_entities"),
    ("mlqa", Side("trained"), Side("base"), "de", "answer_length"),
    ("mlqa", Side("partial"), Side("base"), "hi", "script"),
    ("xnli", Side("trained", EVERY_CONDITION), Side("base", EVERY_CONDITION), "zh", "perturbation"),
    ("xnli", Side("trained", NOISE), Side("trained"), "de", "label"),
    ("xnli", Side("trained"), Side("base"), "hi", "length"),
]


def _records(task: str, rng: np.random.Generator, n: int = 300) -> pd.DataFrame:
    """One run's examples of ``task``: every language of ``LANGUAGES`` (xnli: clean and noisy inputs)."""
    frames = []
    for language in LANGUAGES:
        for perturbation in ("none", NOISE) if task == "xnli" else ("none",):
            words = rng.integers(1, 30, n)
            frame = pd.DataFrame({"language": language, "perturbation": perturbation,
                                  "key": [f"{language}-{i}" for i in range(n)],
                                  "text": [f"{perturbation} w{w}" for w in words],
                                  "correct": rng.random(n) < 0.6, "words": words,
                                  "script": rng.choice(["Latin", "Han", "Devanagari"], n)})
            frame["prediction"] = frame["gold"] = "x"
            frame["score"] = frame["correct"].astype(float)
            if task == "panx":
                frame["tp"], frame["fp"], frame["fn"] = (rng.integers(0, 4, n) for _ in range(3))
                frame["entity_types"] = rng.choice(["LOC", "PER", "LOC+ORG", "none"], n)
                frame["n_entities"] = rng.integers(0, 5, n)
            elif task == "mlqa":
                frame["score"] = np.where(frame["correct"], 1.0, rng.random(n) / 3)
                frame["answer_words"] = pd.array(np.where(rng.random(n) < 0.1, -1, rng.integers(1, 9, n)))
                frame.loc[frame["answer_words"] < 0, "answer_words"] = None
            else:
                frame["label"] = frame["gold"] = rng.choice(["entailment", "neutral", "contradiction"], n)
            frames.append(frame[frame.index % 10 != 3] if perturbation == NOISE else frame)  # noise lost some
    return typed(pd.concat(frames, ignore_index=True).reindex(columns=list(DTYPES)))


def _flipped(records: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    """Another run on the same examples: each outcome flipped with probability ``share``."""
    out = records.copy()
    flip = rng.random(len(out)) < share
    out["correct"] = out["correct"].to_numpy() ^ flip
    out["score"] = np.where(flip, np.where(out["correct"], 1.0, rng.random(len(out)) / 2), out["score"])
    for column in ("tp", "fn"):
        if out[column].notna().any():
            out[column] = out[column].where(~flip, rng.integers(0, 4, len(out)))
    return out


def _store(root: Path) -> ExampleStore:
    store, rng = ExampleStore(root), np.random.default_rng(20261127)
    for task in ("panx", "mlqa", "xnli"):
        base = _records(task, rng)
        store.write("base", task, base)
        store.write("trained", task, _flipped(base, rng, 0.2))
        store.write("partial", task, _flipped(base, rng, 0.3).sample(frac=0.8, random_state=1))
    return store


def _cell(value: object) -> object:
    """A JSON value that keeps every bit (floats as hex; missing as None)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)):
        return float(value).hex()
    return value.item() if isinstance(value, np.generic) else value


def _frame(frame: pd.DataFrame) -> dict:
    return {"columns": list(map(str, frame.columns)), "dtypes": [str(t) for t in frame.dtypes],
            "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False)]}


def _digest(frame: pd.DataFrame) -> str:
    """Columns, types and every value of a (large) frame, in order."""
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    header = json.dumps([list(map(str, frame.columns)), [str(t) for t in frame.dtypes]]).encode()
    return hashlib.sha256(header + hashed).hexdigest()


def summary(result: Comparison) -> dict:
    """Everything the page shows of a comparison, bit for bit."""
    test = result.test
    return {"attribute": result.attribute, "edges": [_cell(e) for e in result.edges], "metric": result.metric,
            "flips": _frame(result.flips), "buckets": _frame(result.buckets), "by_language": _frame(result.by_language),
            "test": [test.wrong_to_right, test.right_to_wrong, _cell(test.statistic), _cell(test.p_value), test.method],
            "paired": _digest(result.paired), "paired_rows": len(result.paired)}


def _case_id(case: tuple) -> str:
    task, a, b, language, attribute = case
    return f"{task}-{a.run_id}:{a.perturbation}-vs-{b.run_id}:{b.perturbation}-{language}-{attribute}"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ExampleStore:
    return _store(tmp_path_factory.mktemp("pinned-examples"))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_comparison_gives_exactly_the_pinned_numbers(store: ExampleStore, case: tuple) -> None:
    task, a, b, language, attribute = case
    pinned = json.loads(PINS.read_text())[_case_id(case)]
    got = summary(compare(store, task, a, b, language, attribute))
    for part in pinned:
        assert got[part] == pinned[part], f"{part} of {_case_id(case)} changed"


if __name__ == "__main__":  # regenerate the pins (an intended change of the numbers only)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        examples = _store(Path(folder))
        PINS.write_text(json.dumps({_case_id(c): summary(compare(examples, c[0], *c[1:])) for c in CASES}, indent=1)
                        + "\n")
    sys.exit(0)

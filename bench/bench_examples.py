"""Example-level predictions at the size of a full XTREME run: writing them, their size, and the Examples
page's analysis on them.

Run: .venv/bin/python bench/bench_examples.py [--rows 1000000] [--quick]

Builds synthetic records shaped like XTREME's test sets (task shares of PAN-X, UD-POS, XNLI, MLQA, ...,
sentence and context lengths of the real data, Latin/Cyrillic/Devanagari/Han text), computes their bucketing
attributes (script, words; sub-word token counts are the tokenizer's and are not timed here), and stores them
for two runs on the same data: run A writes inputs and predictions, run B (same inputs, shared) only its
predictions. Then times ``pipeline.analysis.example_comparison.compare`` — everything the Examples page
computes for a new selection (read both runs' language, flips, McNemar, buckets with 1,000 paired bootstrap
resamples, the bucket × language heatmap over every language of the task) — on PAN-X, XNLI and MLQA.
Each comparison runs twice: the first of the process also pays first-use costs (imports, fresh memory), as a
page's first comparison in a new server does. Prints one line per figure, wall time and this process's CPU time (on
a shared machine the wall time includes waiting for a core); uses a temporary folder only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

#: task -> (share of the examples, languages, words of the input, words of a second text, per-example family)
TASKS = {
    "panx": (0.40, 40, 12, 0, "tagging"), "udpos": (0.25, 33, 18, 0, "tagging"),
    "xnli": (0.09, 15, 22, 11, "classification"), "pawsx": (0.03, 7, 22, 22, "classification"),
    "mlqa": (0.06, 7, 10, 140, "qa"), "xquad": (0.02, 11, 10, 140, "qa"), "tydiqa": (0.01, 9, 9, 110, "qa"),
    "tatoeba": (0.04, 36, 10, 0, "retrieval"), "xcopa": (0.10, 11, 12, 8, "classification"),
}
_SCRIPTS = {"Latin": (0x61, 26), "Cyrillic": (0x430, 32), "Devanagari": (0x915, 36), "Han": (0x4E00, 3000)}
QUICK_ROWS = 100_000
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _words(rng: np.random.Generator, n: int, script: str) -> list[str]:
    start, size = _SCRIPTS[script]
    length = 1 if script == "Han" else 6
    codes = rng.integers(start, start + size, size=(n, length))
    return ["".join(map(chr, row)) for row in codes]


def _texts(rng: np.random.Generator, n: int, mean_words: int, vocabulary: list[str], unique: int | None = None
           ) -> list[str]:
    """``n`` texts of about ``mean_words`` words (``unique``: only that many distinct texts, repeated)."""
    distinct = n if unique is None else max(1, unique)
    lengths = np.maximum(1, rng.poisson(mean_words, distinct))
    words = rng.integers(0, len(vocabulary), lengths.sum())
    cuts = np.cumsum(lengths)[:-1]
    texts = [" ".join(vocabulary[i] for i in chunk) for chunk in np.split(words, cuts)]
    return texts if unique is None else [texts[i % distinct] for i in range(n)]


def synthetic_records(task: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Records of one task in the shape ``pipeline.examples.records.example_records`` builds."""
    from pipeline.examples.features import scripts, word_counts
    from pipeline.examples.records import typed

    share, n_languages, words, pair_words, family = TASKS[task]
    per_language = max(1, n // n_languages)
    frames = []
    for i in range(n_languages):
        script = list(_SCRIPTS)[i % len(_SCRIPTS)]
        vocabulary = _words(rng, 2000, script)
        text = _texts(rng, per_language, words, vocabulary)
        frame = pd.DataFrame({"language": f"l{i:02d}", "perturbation": "none",
                              "key": [str(k) for k in range(per_language)], "text": text})
        if pair_words:  # QA contexts are shared by about five questions each
            unique = per_language // 5 if family == "qa" else None
            frame["text_pair"] = _texts(rng, per_language, pair_words, vocabulary, unique)
        correct = rng.random(per_language) < 0.7
        frame["correct"] = correct
        if family == "tagging":
            tags = np.array(["O", "B-PER", "I-PER", "B-LOC", "B-ORG"])
            frame["gold"] = [" ".join(tags[rng.integers(0, 5, len(t.split()))]) for t in text]
            frame["prediction"] = np.where(correct, frame["gold"], "O")
            frame["tp"], frame["fp"], frame["fn"] = (rng.integers(0, 3, per_language) for _ in range(3))
            frame["entity_types"] = rng.choice(["LOC", "PER", "LOC+PER", "none"], per_language)
            frame["entity_length"] = rng.integers(0, 4, per_language)
        elif family == "qa":
            frame["gold"] = [t.split()[0] for t in frame["text_pair"]]
            frame["prediction"] = np.where(correct, frame["gold"], "")
            frame["score"] = np.where(correct, 1.0, rng.random(per_language) * 0.5)
            frame["answer_words"] = rng.integers(1, 6, per_language)
        else:
            labels = np.array(["entailment", "neutral", "contradiction"])
            frame["gold"] = labels[rng.integers(0, 3, per_language)]
            frame["label"] = frame["gold"]
            frame["prediction"] = np.where(correct, frame["gold"], "neutral")
        frames.append(frame)
    records = pd.concat(frames, ignore_index=True)
    if "score" not in records:
        records["score"] = records["correct"].astype(float)
    start = time.perf_counter()
    records["script"] = scripts(records["text"].tolist())
    records["words"] = word_counts(records["text"].tolist(), records["script"].tolist())
    synthetic_records.feature_seconds += time.perf_counter() - start
    from pipeline.examples.records import DTYPES

    return typed(records.reindex(columns=list(DTYPES)))


synthetic_records.feature_seconds = 0.0


def _flip(records: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Run B: the same examples, about 15% of the outcomes flipped."""
    flipped = rng.random(len(records)) < 0.15
    out = records.copy()
    out["correct"] = records["correct"].to_numpy() ^ flipped
    out["score"] = out["correct"].astype(float)
    return out


def _size(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*.parquet")) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="example predictions per run (1,000,000)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows")
    args = parser.parse_args()
    n = QUICK_ROWS if args.quick else args.rows

    from pipeline.examples import ExampleStore
    from pipeline.analysis.example_comparison import Side, compare

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    records = {task: synthetic_records(task, int(n * spec[0]), rng) for task, spec in TASKS.items()}
    total = sum(len(r) for r in records.values())
    print(f"examples: {total:,} synthetic records, generated in {time.perf_counter() - start:.1f} s; "
          f"attributes (script, words) {synthetic_records.feature_seconds:.2f} s")
    with tempfile.TemporaryDirectory(prefix="atlas-bench-examples-") as tmp:
        store = ExampleStore(tmp)
        start, cpu = time.perf_counter(), time.process_time()
        for task, frame in records.items():
            store.write("run-a", task, frame)
        write_a, cpu_a = time.perf_counter() - start, time.process_time() - cpu
        inputs, predictions_a = _size(Path(tmp) / "inputs"), _size(Path(tmp) / "runs")
        print(f"examples: write run A ({total:,} predictions + their inputs)  {write_a:6.2f} s (CPU {cpu_a:.2f} s); "
              f"inputs {inputs:.1f} MB, predictions {predictions_a:.1f} MB")
        flipped = {task: _flip(frame, rng) for task, frame in records.items()}
        start, cpu = time.perf_counter(), time.process_time()
        for task, frame in flipped.items():
            store.write("run-b", task, frame)
        write_b, cpu_b = time.perf_counter() - start, time.process_time() - cpu
        print(f"examples: write run B (same inputs, shared)              {write_b:6.2f} s (CPU {cpu_b:.2f} s); "
              f"adds {_size(Path(tmp)) - inputs - predictions_a:.1f} MB, inputs unchanged at "
              f"{_size(Path(tmp) / 'inputs'):.1f} MB")
        for task, attribute in (("panx", "length"), ("xnli", "label"), ("mlqa", "answer_length")):
            language = records[task]["language"].iloc[0]
            timings = []
            for _ in range(2):  # the process's first comparison also pays first-use costs (imports, memory)
                start, cpu = time.perf_counter(), time.process_time()
                result = compare(store, task, Side("run-a"), Side("run-b"), language, attribute)
                timings.append(f"{time.perf_counter() - start:6.2f} s (CPU {time.process_time() - cpu:.2f} s)")
            languages = result.by_language["language"].nunique()
            print(f"examples: page analysis {task} {language} by {result.attribute}: {len(result.paired):,} paired, "
                  f"heatmap over {languages} languages ({len(records[task]):,} rows per run)  {timings[0]}; "
                  f"again {timings[1].strip()}")


if __name__ == "__main__":
    main()

"""Lauscher et al. 2020's correlation analysis as a preset: zero-shot score vs similarity to English and corpus size.

"From Zero to Hero: On the Limitations of Zero-Shot Cross-Lingual Transfer with Multilingual
Transformers" (EMNLP 2020), Section 3, as their analysis code does it: per task, over the task's
languages *including English*, Pearson and Spearman between each language's zero-shot score and

- its similarity to English: the cosine of lang2vec vectors (syntax, phonology, inventory, family,
  geography; ``pipeline.typology.features.cosine_similarity_to`` says which features enter), and
- the size of its share of the model's pretraining corpus, raw as they used it (Pearson on raw sizes
  is dominated by English), and its log10 beside it (Spearman is the same for both).

The Atlas elsewhere leaves the source language out (its distance is 0 by definition); the preset
keeps it, as they did. Their CC-100 sizes printed Swedish as 77.8 M tokens; the corrected value is
12,950 M (``pipeline.typology.pretraining.disagreements``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.analysis.correlation import correlate

METHODS: tuple[str, ...] = ("pearson", "spearman")
SIZE_RAW, SIZE_LOG = "corpus size (raw)", "log10 corpus size"
COLUMNS: tuple[str, ...] = ("target_task", "feature", "method", "coefficient", "ci_low", "ci_high", "p_value", "n",
                            "refused")

#: (languages, feature set) -> ``language, similarity`` to the source language; see ``features.cosine_similarity_to``.
Similarity = Callable[[list[str], str], pd.DataFrame]


def lauscher_correlations(
    scores: pd.DataFrame, similarity: Similarity, feature_sets: dict[str, str], sizes: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per task, feature and method (``COLUMNS``); a refused cell keeps its reason.

    ``scores``: ``target_task, language, value`` with the source language's own score included;
    ``feature_sets``: lang2vec set -> display name; ``sizes``: ``language, corpus_size`` (None: no corpus known).
    """
    rows = []
    for task, group in scores.groupby("target_task", sort=False):
        languages = list(group["language"])
        columns = {name: similarity(languages, feature_set) for feature_set, name in feature_sets.items()}
        if sizes is not None:
            size = sizes[["language", "corpus_size"]].rename(columns={"corpus_size": "similarity"})
            columns[SIZE_RAW] = size
            columns[SIZE_LOG] = size.assign(similarity=np.log10(size["similarity"]))
        for feature, values in columns.items():
            both = group.merge(values, on="language")
            result = correlate(both["similarity"], both["value"], names=(feature, "score"))
            if not result.ok:
                rows.append({"target_task": task, "feature": feature, "n": result.n, "refused": result.refused})
                continue
            table = result.table[result.table["method"].isin(METHODS)]
            rows.extend({"target_task": task, "feature": feature, **r, "refused": None}
                        for r in table.drop(columns="ci_method").to_dict("records"))
    return pd.DataFrame(rows, columns=list(COLUMNS))

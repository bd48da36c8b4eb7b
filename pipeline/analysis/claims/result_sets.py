"""Which results a ledger is checked against: one published source, or the runs of one pipeline config.

A pipeline row's provenance is ``<config path>#run_id=<id>@<commit>``, so the runs of one config
(a sweep: every model, intermediate condition and seed of it, baseline included) share the part
before ``#``. A single run id is accepted too; its linked baseline run comes with it.
"""

from __future__ import annotations

import pandas as pd

from pipeline.analysis.query import EVERYTHING, ResultsQuery, Slice

DEFAULT_RESULT_SET = "published:phang2020_v1"
_PUBLISHED, _CONFIG, _RUN = "published:", "config:", "run:"


def _config_of(provenance: pd.Series) -> pd.Series:
    return provenance.astype(str).str.split("#", n=1, regex=False).str[0]


#: One row per stored run or published table: what result sets are made of.
_PARTS = ["source", "source_id", "provenance", "run_id"]


def result_sets(results: pd.DataFrame) -> pd.DataFrame:
    """``key, label, n_rows, test_artifact``: each published source, then each config's runs."""
    return _sets_of(results.groupby(_PARTS, dropna=False).agg(
        n_rows=("value", "size"), test_artifact=("test_artifact", "any")).reset_index())


def result_sets_in(query: ResultsQuery, where: Slice = EVERYTHING) -> pd.DataFrame:
    """``result_sets`` of a slice of the store (default: every stored row), counted where the rows live."""
    return _sets_of(query.aggregate(_PARTS, {"n_rows": "count(*)", "test_artifact": "bool_or(test_artifact)"}, where))


def _sets_of(parts: pd.DataFrame) -> pd.DataFrame:
    columns = ["key", "label", "n_rows", "test_artifact"]
    published = parts[parts["source"] == "published"]
    runs = parts[parts["source"] == "run"]
    sets = [
        published.groupby("source_id").agg(n_rows=("n_rows", "sum"), test_artifact=("test_artifact", "any"))
        .reset_index().assign(key=lambda t: _PUBLISHED + t["source_id"],
                              label=lambda t: "published · " + t["source_id"]),
        runs.assign(config=_config_of(runs["provenance"])).groupby("config").agg(
            n_rows=("n_rows", "sum"), n_runs=("run_id", "nunique"), test_artifact=("test_artifact", "any"))
        .reset_index().assign(key=lambda t: _CONFIG + t["config"],
                              label=lambda t: "runs of " + t["config"] + " (" + t["n_runs"].astype(str) + " runs)"
                              + t["test_artifact"].map({True: " · test artefact", False: ""})),
    ]
    return pd.concat([s[columns] for s in sets if not s.empty] or [pd.DataFrame(columns=columns)],
                     ignore_index=True)


def select_result_set(results: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of ``key`` (``published:<source_id>``, ``config:<path>`` or ``run:<run_id>``); ValueError
    naming the choices if it matches nothing."""
    if key.startswith(_PUBLISHED):
        rows = results[(results["source"] == "published") & (results["source_id"] == key[len(_PUBLISHED):])]
    elif key.startswith(_CONFIG):
        runs = results[results["source"] == "run"]
        rows = runs[_config_of(runs["provenance"]) == key[len(_CONFIG):]]
    elif key.startswith(_RUN):
        run = results[results["run_id"] == key[len(_RUN):]]
        linked = set(run["baseline_run_id"].dropna())
        rows = results[(results["run_id"] == key[len(_RUN):]) | results["run_id"].isin(linked)]
    else:
        rows = results.iloc[0:0]
    if rows.empty:
        known = ", ".join(result_sets(results)["key"].head(8))
        raise ValueError(f"no results for {key!r}; choose published:<source_id>, config:<path> or run:<run_id> "
                         f"(in this store: {known or 'nothing'})")
    return rows


def select_result_set_in(query: ResultsQuery, key: str) -> pd.DataFrame:
    """``select_result_set`` of every stored row: only the set's rows are read."""
    where = _result_set_slice(query, key)
    if where is None or not query.count(where):
        known = ", ".join(result_sets_in(query)["key"].head(8))
        raise ValueError(f"no results for {key!r}; choose published:<source_id>, config:<path> or run:<run_id> "
                         f"(in this store: {known or 'nothing'})")
    return query.rows(where)


def _result_set_slice(query: ResultsQuery, key: str) -> Slice | None:
    if key.startswith(_PUBLISHED):
        return EVERYTHING.keeping(source=["published"], source_id=[key[len(_PUBLISHED):]])
    if key.startswith(_CONFIG):
        runs = EVERYTHING.keeping(source=["run"])
        provenance = query.distinct(["provenance"], runs)["provenance"]
        return runs.keeping(provenance=provenance[_config_of(provenance) == key[len(_CONFIG):]])
    if key.startswith(_RUN):
        run = key[len(_RUN):]
        linked = query.distinct(["baseline_run_id"], EVERYTHING.keeping(run_id=[run]).requiring("baseline_run_id"))
        return EVERYTHING.keeping(run_id=[run, *linked["baseline_run_id"]])
    return None

"""Claims: the published claims (data/claims) checked against the published table or a run's numbers."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from pages._common import Scope, warn_if_test_artifacts, whole_store
from pages._view import finish_page, show_table, start_page, url_multiselect, url_selectbox
from pipeline.analysis.claims import (
    DEFAULT_RESULT_SET,
    VERDICTS,
    ClaimsFileError,
    evaluate_check,
    ledger,
    load_claims,
    result_sets_in,
    select_result_set_in,
)
from pipeline.analysis.claims.spec import CLAIMS_DIR
from pipeline.analysis.query import EVERYTHING, ResultsQuery, Slice
from pipeline.analysis.tables import comparison_label, comparisons_in
from pipeline.tasks import LANGUAGE_MEAN

ICONS = {"holds": "✅ holds", "does not hold": "❌ does not hold", "cannot be tested": "⚪ cannot be tested"}

start_page(
    "Claims",
    "Each claim of Phang et al. 2020 (v1 and final version) and each research question of this project, "
    "checked against the results chosen below: holds, does not hold, or cannot be tested (with the rows it "
    "lacks). A gain with seeds counts only if its 95% interval is on the claimed side.",
)
store = whole_store()
sets = store.summarised(result_sets_in)
labels = dict(zip(sets["key"], sets["label"]))
key = url_selectbox("Check against", list(labels), key="against", default=DEFAULT_RESULT_SET, format_func=labels.get,
                    help="A published table, or every run of one pipeline config (a sweep) in the store.")


def _result_set(query: ResultsQuery, where: Slice, result_set: str) -> pd.DataFrame:
    return select_result_set_in(query, result_set)


rows = store.summarised(_result_set, EVERYTHING, key)
warn_if_test_artifacts(rows)


def _claims_version() -> tuple[tuple[str, float], ...]:
    return tuple((p.name, p.stat().st_mtime) for p in sorted(CLAIMS_DIR.glob("*.yaml")))


def _checked(query: ResultsQuery, where: Slice, result_set: str, claims_version: tuple) -> pd.DataFrame:
    # Cached per data version, result set and claims files: new rows or an edited claims file recompute it.
    return ledger(load_claims(), select_result_set_in(query, result_set))


def _ledger(scope: Scope, result_set: str) -> pd.DataFrame:
    return scope.summarised(_checked, EVERYTHING, result_set, _claims_version())


try:
    claims = {c.id: c for c in load_claims()}
    table = _ledger(store, key)
except ClaimsFileError as exc:
    st.error(f"The claims file is refused: {exc}")
    st.stop()


def _links(table: pd.DataFrame) -> tuple[list[str], list[str | None]]:
    """Per claim, the Overview grid and (where per-language rows exist) the Languages view of its numbers.

    Grids are named as the Overview names them over the whole store; a run of the tiny test model
    opens with test artefacts switched on, as the Runs page does.
    """
    grids = store.summarised(comparisons_in, EVERYTHING.keeping(source_id=rows["source_id"].unique()))
    artifacts = "1" if rows["test_artifact"].any() else "0"
    per_language = set(rows.loc[rows["language"] != LANGUAGE_MEAN, "target_task"])
    overview, languages = [], []
    for row in table.to_dict("records"):
        match = grids[grids["source_id"].isin(row["source_ids"].split(",")) & grids["model"].isin(row["models"].split(","))
                      & grids["split"].isin(row["splits"].split(","))]
        grid = (match if not match.empty else grids).iloc[0]
        overview.append("./?" + urlencode({"grid": comparison_label(grid), "show": "gain", "artifacts": artifacts}))
        tasks = [t for t in row["target_tasks"].split(",") if t in per_language]
        languages.append("./languages?" + urlencode({"task": tasks[0], "model": grid["model"], "compare": "intermediate",
                                                     "artifacts": artifacts}) if tasks else None)
    return overview, languages


others = {k: v for k, v in labels.items() if k != key}
compare_with = url_selectbox("Compare with", ["none", *others], key="compare_with", default="none",
                             format_func=lambda k: "nothing" if k == "none" else others[k],
                             help="A second result set: its verdict beside each claim, and whether yours agrees "
                                  "(e.g. your run against the published table).")
counts = table["verdict"].value_counts()
for column, verdict in zip(st.columns(len(VERDICTS)), VERDICTS):
    column.metric(ICONS[verdict], int(counts.get(verdict, 0)))
shown_verdicts = url_multiselect("Verdicts", list(VERDICTS), key="verdicts", placeholder="All verdicts")
overview, languages = _links(table)
shown = pd.DataFrame({
    "Claim": table["id"], "Version": table["version"].str.split(" (", n=1, regex=False).str[0],
    "Where": table["where"], "Verdict": table["verdict"].map(ICONS), "Sentence": table["sentence"],
    "Deciding numbers": table["numbers"], "Why": table["reason"], "Sources": table["provenance"],
    "Overview": overview, "Languages": languages,
})
if compare_with != "none":
    other = _ledger(store, compare_with).set_index("id")["verdict"]
    theirs = table["id"].map(other)
    shown.insert(4, f"Verdict on {others[compare_with]}", theirs.map(ICONS))
    decided = theirs.ne("cannot be tested") & table["verdict"].ne("cannot be tested")
    shown.insert(5, "Same verdict", table["verdict"].eq(theirs).where(decided).map({True: "yes", False: "no"}).fillna("—"))
if shown_verdicts:
    shown = shown[table["verdict"].isin(shown_verdicts)]
show_table(shown, name="claims-ledger", key="claims_table", title=f"Claims ledger · {labels[key]}", index=False,
           caption=f"Checked against {labels[key]}. Reading of each sentence and the checks: data/claims/*.yaml.",
           column_config={"Overview": st.column_config.LinkColumn("Overview", display_text="Overview"),
                          "Languages": st.column_config.LinkColumn("Languages", display_text="Languages")})

chosen = claims[url_selectbox("Details of", list(table["id"]), key="claim")]
verdict = evaluate_check(chosen.check, rows)
st.markdown(f"**{ICONS[verdict.verdict]}** · {chosen.source}, {chosen.version} ({chosen.version_citation}), "
            f"{chosen.where}")
st.markdown(f"> {chosen.sentence}")
st.markdown(f"**Read as:** {chosen.reading}")
st.markdown(f"**Deciding numbers:** {verdict.numbers or '—'}  \n**Why:** {verdict.reason}")
if not verdict.evidence.empty:
    evidence = verdict.evidence[["unit", "value", "low", "high", "n", "provenance"]].assign(
        provenance=lambda e: e["provenance"].map(lambda p: "; ".join(p) if isinstance(p, list) else ""))
    show_table(evidence.rename(columns={"unit": "number", "low": "95% low", "high": "95% high",
                                        "provenance": "source"}),
               name=f"claim-{chosen.id}", key="claim_evidence", title=f"Numbers behind {chosen.id}", index=False,
               digits=2, caption="Every number the verdict used, with its interval (where seeds exist) and source.")
finish_page(sorted({p for cell in table["provenance"] for p in cell.split("; ") if p}))

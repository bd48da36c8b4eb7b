"""A claims ledger: published claims (``data/claims``) as checks over the results, each evaluated to
holds / does not hold / cannot be tested with its deciding numbers, intervals and provenance."""

from pipeline.analysis.claims.ledger import LEDGER_COLUMNS, evaluate_check, ledger
from pipeline.analysis.claims.result_sets import (
    DEFAULT_RESULT_SET,
    result_sets,
    result_sets_in,
    select_result_set,
    select_result_set_in,
)
from pipeline.analysis.claims.spec import Claim, ClaimsFileError, load_claims, load_claims_file
from pipeline.analysis.claims.verdicts import FAILS, HOLDS, UNTESTABLE, VERDICTS, Verdict

__all__ = [
    "DEFAULT_RESULT_SET",
    "FAILS",
    "HOLDS",
    "LEDGER_COLUMNS",
    "UNTESTABLE",
    "VERDICTS",
    "Claim",
    "ClaimsFileError",
    "Verdict",
    "evaluate_check",
    "ledger",
    "load_claims",
    "load_claims_file",
    "result_sets",
    "result_sets_in",
    "select_result_set",
    "select_result_set_in",
]

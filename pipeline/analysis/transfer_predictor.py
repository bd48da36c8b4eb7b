"""Predict a language's transfer (gap, score or gain) from what is known about it, and say how well that works.

What LangRank (Lin et al. 2019) does for choosing transfer languages, applied to one model and task:
a small, explainable regressor on language features (the six URIEL distances to the source language,
log pretraining size, script, family; ``language_features``) fit on the measured languages.

- **Honest error**: leave-one-language-out. For each measured language the whole pipeline (scaling,
  one-hot encoding, ridge's choice of penalty) is fit on the *other* languages and predicts the
  held-out one; ``_training_rows`` is the one place that splits, and the loop checks it.
- **Baselines** on the same folds: the mean of the other languages, and a straight line on log size
  alone. A predictor that does not beat them has learnt nothing from typology.
- **Intervals** for unmeasured languages: jackknife+ (Barber et al. 2021, Ann. Statist.) from the
  same leave-one-out fits: the ⌊α(n+1)⌋-th smallest of μ₋ᵢ(x) − |Rᵢ| and the ⌈(1−α)(n+1)⌉-th smallest
  of μ₋ᵢ(x) + |Rᵢ| (Rᵢ: language i's leave-one-out residual). Aimed at 1−α coverage; the theorem
  guarantees 1−2α. With too few languages for the level the interval is unbounded, shown as missing.
- **Importances**: ridge's coefficients on standardised features (signed, per SD; one per script
  or family category), or gradient boosting's impurity importances.

Languages missing a numeric feature (no published pretraining size) are left out of the fit and
get no prediction; they are listed with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from pipeline.analysis.language_features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, SIZE_FEATURE

PREDICTORS: tuple[str, ...] = ("ridge", "boosting")
MIN_LANGUAGES = 6
RIDGE_ALPHAS = np.logspace(-2, 3, 21)
ERROR_COLUMNS: tuple[str, ...] = ("model", "mae", "rmse", "loo_r2", "n")
PREDICTION_COLUMNS: tuple[str, ...] = ("language", "name", "predicted", "low", "high", "in_task", "note")

ModelFactory = Callable[[], RegressorMixin]
_READABLE = {SIZE_FEATURE: "published pretraining size"}


class LeakageError(AssertionError):
    """A leave-one-out fit saw the language it was about to predict."""


@dataclass(frozen=True)
class PredictorReport:
    """Leave-one-language-out evaluation, importances and predictions, or the reason there are none."""

    target: str
    predictor: str
    n: int
    refused: str | None = None
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ERROR_COLUMNS)))
    loo: pd.DataFrame = field(default_factory=pd.DataFrame)
    importances: pd.DataFrame = field(default_factory=pd.DataFrame)
    predictions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(PREDICTION_COLUMNS)))
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["language", "reason"]))
    confidence: float = 0.9

    @property
    def ok(self) -> bool:
        return self.refused is None


def make_predictor(kind: str, numeric: Sequence[str], categorical: Sequence[str]) -> ModelFactory:
    """A factory of fresh, unfitted pipelines: scaling + one-hot encoding + ridge or gradient boosting."""
    if kind not in PREDICTORS:
        raise ValueError(f"predictor must be one of {', '.join(PREDICTORS)}, not {kind!r}")

    def build() -> Pipeline:
        encode = ColumnTransformer([
            ("numeric", StandardScaler(), list(numeric)),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(categorical)),
        ])
        regressor = RidgeCV(alphas=RIDGE_ALPHAS) if kind == "ridge" else GradientBoostingRegressor(
            n_estimators=200, max_depth=2, learning_rate=0.05, subsample=1.0, random_state=0)
        return Pipeline([("encode", encode), ("regress", regressor)])

    return build


def _training_rows(languages: np.ndarray, held_out: str) -> np.ndarray:
    """The rows a fold may learn from: every language but the held-out one."""
    return languages != held_out


def leave_one_language_out(
    frame: pd.DataFrame, target: str, features: Sequence[str], make_model: ModelFactory
) -> tuple[np.ndarray, list[RegressorMixin]]:
    """Prediction of each row's ``target`` by a model fit without that row's language, and the fitted models."""
    languages = frame["language"].to_numpy()
    predictions, models = np.empty(len(frame)), []
    for i, held_out in enumerate(languages):
        train = _training_rows(languages, held_out)
        if held_out in set(languages[train]):
            raise LeakageError(f"the fold for {held_out!r} trains on {held_out!r}")
        model = make_model().fit(frame.loc[train, list(features)], frame.loc[train, target])
        predictions[i] = model.predict(frame.iloc[[i]][list(features)])[0]
        models.append(model)
    return predictions, models


def _errors(name: str, measured: np.ndarray, predicted: np.ndarray) -> dict[str, float | str | int]:
    residual = measured - predicted
    return {"model": name, "mae": float(np.abs(residual).mean()), "rmse": float(np.sqrt((residual ** 2).mean())),
            "loo_r2": 1 - float(residual @ residual) / float(((measured - measured.mean()) ** 2).sum()),
            "n": len(measured)}


def jackknife_plus(
    candidates: pd.DataFrame, features: Sequence[str], models: Sequence[RegressorMixin], residuals: np.ndarray,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Jackknife+ interval (low, high) per candidate row; NaN where n is too small for ``confidence``."""
    n = len(models)
    alpha = 1 - confidence
    if candidates.empty:
        return np.empty(0), np.empty(0)
    fold = np.column_stack([m.predict(candidates[list(features)]) for m in models])  # (candidates, n)
    k_low, k_high = int(np.floor(alpha * (n + 1))), int(np.ceil((1 - alpha) * (n + 1)))
    if k_low < 1 or k_high > n:
        nan = np.full(len(candidates), np.nan)
        return nan, nan
    low = np.sort(fold - np.abs(residuals), axis=1)[:, k_low - 1]
    high = np.sort(fold + np.abs(residuals), axis=1)[:, k_high - 1]
    return low, high


def _importances(model: Pipeline, kind: str) -> pd.DataFrame:
    names = [n.split("__", 1)[1].replace("_", "=", 1) if n.startswith("categorical__") else n.split("__", 1)[1]
             for n in model.named_steps["encode"].get_feature_names_out()]
    regressor = model.named_steps["regress"]
    if kind == "ridge":
        values, what = regressor.coef_, f"ridge coefficient per SD (alpha={regressor.alpha_:g})"
    else:
        values, what = regressor.feature_importances_, "impurity importance"
    table = pd.DataFrame({"feature": names, "importance": values, "kind": what})
    return table.reindex(table["importance"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def predict_transfer(
    features: pd.DataFrame,
    values: pd.DataFrame,
    *,
    target: str = "gap",
    predictor: str = "ridge",
    candidates: Collection[str] = (),
    task_languages: Collection[str] = (),
    confidence: float = 0.9,
) -> PredictorReport:
    """Evaluate ``predictor`` leave-one-language-out against the baselines, and predict the ``candidates``.

    ``features``: ``language_features.language_frame`` rows (every language that may be predicted);
    ``values``: ``language, value`` of the measured languages. Candidates with a measured value are
    not predicted; ``task_languages`` marks which predictions the task's benchmark would test.
    """
    numeric = [c for c in NUMERIC_FEATURES if c in features.columns and features[c].notna().any()]
    complete = features.dropna(subset=numeric)
    dropped = features[~features["language"].isin(complete["language"])]
    missing = dropped[numeric].isna()
    dropped = pd.DataFrame({"language": dropped["language"],
                            "reason": ["no " + ", ".join(_READABLE.get(c, c) for c in missing.columns[row])
                                       for row in missing.to_numpy()]})
    data = complete.merge(values[["language", "value"]], on="language").reset_index(drop=True)
    base = {"target": target, "predictor": predictor, "n": len(data), "confidence": confidence}
    measured_dropped = dropped[dropped["language"].isin(values["language"])]
    if len(data) < MIN_LANGUAGES:
        return PredictorReport(**base, dropped=measured_dropped, refused=(
            f"only {len(data)} measured language(s) have every feature; a leave-one-language-out evaluation needs "
            f"at least {MIN_LANGUAGES}"))
    columns = [*numeric, *CATEGORICAL_FEATURES]
    make_model = make_predictor(predictor, numeric, CATEGORICAL_FEATURES)
    y = data["value"].to_numpy(dtype=float)
    predicted, models = leave_one_language_out(data, "value", columns, make_model)
    mean_only, _ = leave_one_language_out(data, "value", [SIZE_FEATURE], DummyRegressor)
    rows = [_errors(f"{predictor} on language features", y, predicted), _errors("mean of the other languages", y,
                                                                                  mean_only)]
    loo = data[["language", "name", "value"]].rename(columns={"value": "measured"}).assign(
        predicted=predicted, baseline_mean=mean_only)
    if SIZE_FEATURE in numeric:
        size_only, _ = leave_one_language_out(data, "value", [SIZE_FEATURE], LinearRegression)
        rows.append(_errors("log pretraining size alone (linear)", y, size_only))
        loo = loo.assign(baseline_size=size_only)
    full = make_model().fit(data[columns], y)
    unmeasured = complete[complete["language"].isin(set(candidates) - set(values["language"]))].reset_index(drop=True)
    low, high = jackknife_plus(unmeasured, columns, models, y - predicted, confidence)
    level = f"{confidence:.0%} jackknife+ interval"
    predictions = pd.DataFrame({
        "language": unmeasured["language"], "name": unmeasured["name"],
        "predicted": full.predict(unmeasured[columns]) if len(unmeasured) else np.empty(0), "low": low, "high": high,
        "in_task": unmeasured["language"].isin(task_languages),
        "note": np.where(np.isnan(low), f"prediction; too few languages for a {level}", f"prediction; {level}"),
    })
    unpredicted = dropped[dropped["language"].isin(set(candidates) - set(values["language"]))]
    return PredictorReport(
        **base, errors=pd.DataFrame(rows, columns=list(ERROR_COLUMNS)), loo=loo,
        importances=_importances(full, predictor), predictions=predictions,
        dropped=pd.concat([measured_dropped, unpredicted], ignore_index=True),
    )

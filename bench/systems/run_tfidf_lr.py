"""The tuned text baseline: TF-IDF of words and characters into a logistic regression, its C and
n-gram ranges searched at random with 3-fold cross-validation until the budget is spent, the
best refit on all training rows. Plain scikit-learn: what a practitioner would write by hand.

The budget covers search and refit: a config is started only when the time left holds three
folds and the final refit at the slowest fold's cost so far (the first config always runs).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from common import run
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

FOLDS = 3
REFIT = 1.5  # the final refit on all rows costs about this many folds (3/2 of a fold's rows)
#: the searched space: C (log-uniform), word n-gram upper end, character n-gram range
C_RANGE = (2**-4, 2**6)
WORD_NGRAMS = (1, 2, 3)
CHAR_NGRAMS = (None, (2, 4), (2, 5), (3, 5))


def pipeline(text: list[str], config: dict, seed: int):
    """TF-IDF (sublinear tf) of each text column's words and characters, then the model."""
    blocks = []
    for column in text:
        words = TfidfVectorizer(ngram_range=(1, config["words"]), sublinear_tf=True, min_df=2)
        blocks.append((f"{column}_w", words, column))
        if config["chars"]:
            chars = TfidfVectorizer(
                analyzer="char_wb", ngram_range=config["chars"], sublinear_tf=True, min_df=2
            )
            blocks.append((f"{column}_c", chars, column))
    model = LogisticRegression(C=config["C"], max_iter=1000, random_state=seed)
    return make_pipeline(ColumnTransformer(blocks), model)


def sample(rng: np.random.Generator, first: bool) -> dict:
    if first:  # the textbook start: word uni- and bigrams, characters 2-5, C = 4
        return {"C": 4.0, "words": 2, "chars": (2, 5)}
    return {
        "C": float(np.exp(rng.uniform(*np.log(C_RANGE)))),
        "words": int(rng.choice(WORD_NGRAMS)),
        "chars": CHAR_NGRAMS[rng.integers(len(CHAR_NGRAMS))],
    }


def cv_score(X: pd.DataFrame, y: pd.Series, text: list[str], config: dict, seed: int):
    """Mean macro F1 over the folds, and the slowest fold's seconds."""
    scores, slowest = [], 0.0
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(X, y)
    for train, val in folds:
        start = time.perf_counter()
        fitted = pipeline(text, config, seed).fit(X.iloc[train], y.iloc[train])
        scores.append(f1_score(y.iloc[val], fitted.predict(X.iloc[val]), average="macro"))
        slowest = max(slowest, time.perf_counter() - start)
    return float(np.mean(scores)), slowest


def fit(X_train: pd.DataFrame, y_train: pd.Series, spec: dict):
    deadline = time.perf_counter() + spec["budget"]
    text = [c for c in X_train.columns if X_train[c].dtype == object or X_train[c].dtype == "str"]
    X = X_train[text].fillna("").astype(str)
    rng = np.random.default_rng(spec["seed"])
    best, best_score, fold_cost = None, -np.inf, 0.0
    while True:
        config = sample(rng, first=best is None)
        if best is not None and time.perf_counter() + (FOLDS + REFIT) * fold_cost > deadline:
            break
        score, slowest = cv_score(X, y_train, text, config, spec["seed"])
        fold_cost = max(fold_cost, slowest)
        if score > best_score:
            best, best_score = config, score
    model = pipeline(text, best, spec["seed"]).fit(X, y_train)
    return TextBaseline(model, text)


class TextBaseline:
    """The refit pipeline behind the interface common.run expects."""

    def __init__(self, model, text: list[str]):
        self.model, self.text = model, text
        self.classes_ = model.classes_

    def _X(self, X: pd.DataFrame) -> pd.DataFrame:
        return X[self.text].fillna("").astype(str)

    def predict(self, X: pd.DataFrame):
        return self.model.predict(self._X(X))

    def predict_proba(self, X: pd.DataFrame):
        return self.model.predict_proba(self._X(X))


if __name__ == "__main__":
    run(fit)

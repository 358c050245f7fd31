"""Fitted ensembles as plain scikit-learn estimators (picklable, predict / predict_proba).

Members are fitted pipelines that take the conformed table; classes are encoded ``0..k-1``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

PROBA_FLOOR = 1e-6  # probabilities are clipped here before the stacker takes their logarithm


def member_output(member, X, n_classes: int) -> np.ndarray:
    """A member's probabilities over all ``n_classes`` (or its values for regression)."""
    if not n_classes:
        return np.asarray(member.predict(X), dtype=float)
    full = np.zeros((len(X), n_classes))
    full[:, np.asarray(member.classes_, dtype=int)] = member.predict_proba(X)
    return full


class WeightedEnsemble(BaseEstimator):
    """A weighted average of fitted members (also used to average fold models)."""

    def __init__(self, members: list, weights: list[float], n_classes: int = 0):
        self.members = members
        self.weights = weights
        self.n_classes = n_classes

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(self.n_classes)

    def _average(self, X) -> np.ndarray:
        weights = np.asarray(self.weights, dtype=float)
        return sum(
            w * member_output(m, X, self.n_classes)
            for w, m in zip(weights, self.members, strict=True)
        )

    def predict_proba(self, X) -> np.ndarray:
        return self._average(X)

    def predict(self, X) -> np.ndarray:
        out = self._average(X)
        return out.argmax(axis=1) if self.n_classes else out


class StackedEnsemble(BaseEstimator):
    """Members' predictions fed to a fitted meta-learner (linear)."""

    def __init__(self, members: list, meta, n_classes: int = 0):
        self.members = members
        self.meta = meta
        self.n_classes = n_classes

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(self.n_classes)

    def _features(self, X) -> np.ndarray:
        return stack_features([member_output(m, X, self.n_classes) for m in self.members])

    def predict_proba(self, X) -> np.ndarray:
        proba = self.meta.predict_proba(self._features(X))
        full = np.zeros((len(proba), self.n_classes))
        full[:, np.asarray(self.meta.classes_, dtype=int)] = proba
        return full

    def predict(self, X) -> np.ndarray:
        if self.n_classes:
            return self.predict_proba(X).argmax(axis=1)
        return self.meta.predict(self._features(X))


def stack_features(outputs: list[np.ndarray]) -> np.ndarray:
    """Meta-learner inputs: members' values, or their log-probabilities (binary: the positive)."""
    columns = []
    for out in outputs:
        if out.ndim == 1:
            columns.append(out[:, None])
            continue
        logp = np.log(np.clip(out, PROBA_FLOOR, 1.0))
        columns.append(logp[:, 1:] if out.shape[1] == 2 else logp)
    return np.hstack(columns)

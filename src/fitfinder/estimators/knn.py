"""k-nearest neighbours, with ties resolved the same way on every runtime.

scikit-learn's k-NN keeps an arbitrary k of the training rows tied at the k-th distance (its
trees and its brute-force kernels break ties differently, and so does ONNX's TopK), so on data
with repeated feature rows its answer depends on the row order and the runtime: an exported
graph disagreed on up to 40 % of the vote on fertility_morekids. Here the training rows are
merged into their distinct feature rows (with their count and their label counts or target
sums), and the rows tied at the k-th distance (within ``TIE_TOLERANCE``) share the votes left
equally: the expected vote of scikit-learn's k-NN over every order of the tied rows, and the same
vote in ``fitfinder.export.neighbours``. Without ties it is scikit-learn's k-NN.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.spatial.distance import cdist
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.neighbors import NearestNeighbors

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Categorical, Config, Int

SPACE = {
    "n_neighbors": Int(1, 100, log=True),
    "weights": Categorical(("uniform", "distance")),
    "p": Categorical((1, 2)),
}
DEFAULTS = {"n_neighbors": 5, "weights": "uniform", "p": 2}

TIE_TOLERANCE = 1e-9  # distances within this relative gap of the k-th distance are tied with it
PROBA_STEP = 2.0**-30  # probabilities are rounded to this step, so equal vote shares compare equal
CANDIDATES = 8  # neighbours fetched beyond k, so a tied group seldom needs every row
CHUNK_CELLS = 4_000_000  # rows x distinct rows computed at once


class _Neighbours(BaseEstimator):
    """The shared fit and vote of ``NeighboursClassifier`` and ``NeighboursRegressor``."""

    def __init__(self, n_neighbors: int = 5, weights: str = "uniform", p: int = 2, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.p = p
        self.n_jobs = n_jobs

    def _merge(self, X, targets: np.ndarray) -> None:
        """Keep the distinct rows of ``X``, how often each occurs and the sums of ``targets``."""
        X = _dense(X)
        if len(X) == 0:
            raise ValueError("k-NN needs at least one training row")
        self.n_features_in_ = X.shape[1]
        self.n_samples_fit_ = len(X)  # training rows, repeats included (scikit-learn's name)
        points, inverse = np.unique(X, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        self.points_ = points
        self.counts_ = np.bincount(inverse, minlength=len(points)).astype(np.float64)
        sums = np.zeros((len(points), targets.shape[1]))
        np.add.at(sums, inverse, targets)
        self.sums_ = sums
        self.k_ = int(max(1, min(self.n_neighbors, len(X))))
        self.largest_norm_ = float((points * points).sum(1).max())
        self.index_ = NearestNeighbors(p=self.p, n_jobs=self.n_jobs).fit(points)

    def _vote(self, X) -> np.ndarray:
        """Each row's weighted mean of ``sums_ / counts_`` over its k nearest rows [N, T]."""
        X = _dense(X)
        M = len(self.points_)
        width = min(M, min(self.k_, M) + CANDIDATES)
        out = np.empty((len(X), self.sums_.shape[1]))
        step = max(1, CHUNK_CELLS // M)
        with np.errstate(over="ignore", invalid="ignore"):  # features near 1e308 overflow
            near, index = self.index_.kneighbors(X, n_neighbors=width)
            for start in range(0, len(X), step):
                part = slice(start, start + step)
                out[part] = self._vote_chunk(X[part], near[part], index[part])
        return out

    def _vote_chunk(self, X: np.ndarray, near: np.ndarray, index: np.ndarray) -> np.ndarray:
        """The vote from the candidates ``index`` (at scikit-learn's distances ``near``), after
        their distances are computed exactly; a row whose tied rows may reach past its
        candidates is computed over every distinct row."""
        exact = _distances(X[:, None, :], self.points_[index], self.p)
        t = self._kth(exact, index)
        out = self._weighted(exact, index, t)
        if index.shape[1] < len(self.points_):
            bound = np.sqrt(np.maximum(near[:, -1] ** 2 - self._slack(X), 0.0))
            again = np.flatnonzero(~(bound > t + t * TIE_TOLERANCE))  # NaN, inf: again
            if len(again):
                full = cdist(X[again], self.points_, "minkowski", p=self.p)
                every = np.broadcast_to(np.arange(len(self.points_)), full.shape)
                out[again] = self._weighted(full, every, self._kth(full, every))
        return out

    def _slack(self, X: np.ndarray) -> np.ndarray:
        """A bound on the rounding error of scikit-learn's squared distances (it expands
        |x - u|^2 as |x|^2 - 2 x.u + |u|^2)."""
        return 1e-9 * ((X * X).sum(1) + self.largest_norm_ + 1.0)

    def _kth(self, distances: np.ndarray, index: np.ndarray) -> np.ndarray:
        """The k-th smallest distance of each row, counting each distinct row as often as it
        occurs (the same whatever order tied rows are in)."""
        order = np.argsort(distances, axis=1, kind="stable")
        ordered = np.take_along_axis(distances, order, axis=1)
        reached = np.cumsum(self.counts_[np.take_along_axis(index, order, axis=1)], axis=1)
        first = np.argmax(reached >= self.k_, axis=1)
        return ordered[np.arange(len(ordered)), first]

    def _weighted(self, distances: np.ndarray, index: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Rows nearer than the k-th distance count fully, the rows tied with it share the
        votes left; ``distance`` weights divide by the distance (or keep only exact matches).
        Distances that overflow (features near 1e308) are all tied at infinity."""
        gap = np.where(np.isinf(t), 0.0, t * TIE_TOLERANCE)  # inf: distances overflowed
        low, high = (t - gap)[:, None], (t + gap)[:, None]
        inside = (distances < low).astype(np.float64)
        tied = ((distances >= low) & (distances <= high)).astype(np.float64)
        counts = self.counts_[index]
        share = (self.k_ - (inside * counts).sum(1)) / (tied * counts).sum(1)
        weight = inside + tied * share[:, None]
        if self.weights == "distance":
            exact = weight * (distances == 0)
            matched = exact.sum(1) > 0
            safe = np.where(distances > 0, distances, 1.0)
            divided = weight / safe  # all 0 when every distance chosen is infinite: kept equal
            divided = np.where(((divided * counts).sum(1) > 0)[:, None], divided, weight)
            weight = np.where(matched[:, None], exact, divided)
        total = np.einsum("rc,rct->rt", weight, self.sums_[index])
        return total / np.einsum("rc,rc->r", weight, counts)[:, None]


class NeighboursClassifier(ClassifierMixin, _Neighbours):
    """k-NN class probabilities: the (shared) votes of the k nearest training rows."""

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self._merge(X, np.eye(len(self.classes_))[codes.reshape(-1)])
        return self

    def predict_proba(self, X) -> np.ndarray:
        votes = self._vote(X)
        return np.round(votes / PROBA_STEP) * PROBA_STEP

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class NeighboursRegressor(RegressorMixin, _Neighbours):
    """k-NN regression: the (shared) mean target of the k nearest training rows."""

    def fit(self, X, y):
        self._merge(X, np.asarray(y, dtype=np.float64).reshape(-1, 1))
        return self

    def predict(self, X) -> np.ndarray:
        return self._vote(X)[:, 0]


def _dense(X) -> np.ndarray:
    return np.asarray(X.toarray() if sparse.issparse(X) else X, dtype=np.float64)


def _distances(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    """Minkowski distances from the differences (exact zero for equal rows, unlike the
    expanded dot-product form scikit-learn's brute force uses)."""
    diff = np.abs(a - b)
    return diff.sum(-1) if p == 1 else np.sqrt((diff * diff).sum(-1))


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """A k-NN classifier or regressor; ``n_neighbors`` is capped at the training rows."""
    model = NeighboursClassifier if ctx.task in CLASSIFICATION else NeighboursRegressor
    return model(
        n_neighbors=max(1, min(config["n_neighbors"], ctx.n_rows)),
        weights=config["weights"],
        p=config["p"],
        n_jobs=ctx.n_threads,
    )


FAMILY = Family(
    name="knn",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost=dict(DEFAULTS),
    defaults=DEFAULTS,
    preprocessing="scaled",
    build=build,
    cost=2.0,
    description="k-nearest neighbours on standardised features.",
    supports_sample_weight=False,
    max_rows=100_000,
    notes=(
        "Prediction cost grows with the training rows, so large data leaves it out by default.",
        "Not used with sample weights (left out, or refused when named): k-NN has no weights.",
    ),
)

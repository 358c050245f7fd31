"""The fastText-style text network: each text a TF-IDF-weighted mean of the embeddings of its
hashed word and character n-grams (``nn.EmbeddingBag``), then an output layer or one hidden
layer, trained with Adam and early stopping on a tenth of the rows.

The n-grams are hashed by scikit-learn's ``HashingVectorizer`` (a stable hash: the same text
gives the same buckets in every process) and weighted by ``TfidfTransformer``; each row's
non-zero entries are the bag's indices and weights. Other columns are not read.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from torch import nn

from fitfinder.data.schema import Role
from fitfinder.estimators.base import CLASSIFICATION, BuildContext
from fitfinder.estimators.neural.training import (
    _stop_reason,
    binary_loss,
    multiclass_loss,
    regression_loss,
)
from fitfinder.tasks.text.vectorize import TOKENS, truncate

VALIDATION_SHARE = 0.1
PATIENCE = 3
EVAL_ROWS = 4096


class TextNet(nn.Module):
    """Bag of n-gram embeddings -> dropout -> (hidden layer ->) outputs."""

    def __init__(self, buckets: int, dim: int, hidden: int, outputs: int, dropout: float):
        super().__init__()
        # sparse gradients: a step touches only the rows of the n-grams in its batch
        self.bag = nn.EmbeddingBag(buckets, dim, mode="sum", sparse=True)
        layers: list[nn.Module] = [nn.Dropout(dropout)]
        if hidden:
            layers += [nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout)]
        layers.append(nn.Linear(hidden or dim, outputs))
        self.head = nn.Sequential(*layers)

    def forward(self, indices, offsets, weights) -> torch.Tensor:
        return self.head(self.bag(indices, offsets, per_sample_weights=weights))


class _TextNetEstimator(BaseEstimator):
    """Shared fit and forward pass of the classifier and the regressor."""

    def __init__(
        self,
        text_columns: tuple[str, ...] = (),
        word_ngrams: int = 2,
        char_ngrams: int = 5,
        buckets: int = 2**19,
        dim: int = 64,
        hidden: int = 0,
        dropout: float = 0.1,
        lr: float = 5e-3,
        batch_size: int = 32,
        max_epochs: int = 20,
        weight_decay: float = 1e-6,
        time_limit: float | None = None,
        n_threads: int | None = None,
        random_state: int = 0,
    ):
        self.text_columns = text_columns
        self.word_ngrams, self.char_ngrams = word_ngrams, char_ngrams
        self.buckets, self.dim, self.hidden, self.dropout = buckets, dim, hidden, dropout
        self.lr, self.batch_size, self.max_epochs = lr, batch_size, max_epochs
        self.weight_decay, self.time_limit = weight_decay, time_limit
        self.n_threads, self.random_state = n_threads, random_state

    def _fit(self, X, target: np.ndarray, outputs: int, loss, sample_weight=None):
        deadline = time.perf_counter() + (self.time_limit or math.inf)
        if self.n_threads:
            torch.set_num_threads(self.n_threads)
        torch.manual_seed(self.random_state)
        self.hasher_ = _hasher(self.text_columns, self.word_ngrams, self.char_ngrams, self.buckets)
        bags = self.hasher_.fit_transform(X).tocsr()
        rng = np.random.default_rng(self.random_state)
        held = rng.random(bags.shape[0]) < VALIDATION_SHARE
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)
        self.net_ = TextNet(bags.shape[1], self.dim, self.hidden, outputs, self.dropout)
        optimizers = _optimizers(self.net_, self.lr, self.weight_decay)
        train_rows, val_rows = np.flatnonzero(~held), np.flatnonzero(held)
        best, best_state, waited = math.inf, None, 0
        self.stopped_by_, self.epochs_ = "max_epochs", 0
        for _ in range(self.max_epochs):
            late = self._epoch(bags, target, weight, train_rows, optimizers, loss, rng, deadline)
            self.epochs_ += 1
            current = self._loss(bags, target, weight, val_rows, loss) if len(val_rows) else 0.0
            if current < best:
                best, best_state, waited = current, copy.deepcopy(self.net_.state_dict()), 0
            else:
                waited += 1
            reason = _stop_reason(late or time.perf_counter() > deadline, current, waited, PATIENCE)
            if reason:
                self.stopped_by_ = reason
                break
        if best_state is not None:
            self.net_.load_state_dict(best_state)
        return self

    def _epoch(self, bags, target, weight, rows, optimizers, loss, rng, deadline) -> bool:
        """One shuffled pass over ``rows``; True when the deadline cut it."""
        self.net_.train()
        order = rng.permutation(rows)
        for start in range(0, len(order), self.batch_size):
            if time.perf_counter() > deadline:
                return True
            batch = order[start : start + self.batch_size]
            w = None if weight is None else torch.from_numpy(weight[batch])
            value = loss(self.net_(*_bag_tensors(bags[batch])), torch.from_numpy(target[batch]), w)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            value.backward()
            for optimizer in optimizers:
                optimizer.step()
        return False

    def _outputs(self, bags: sp.csr_matrix) -> torch.Tensor:
        self.net_.eval()
        parts = []
        with torch.inference_mode():
            for start in range(0, bags.shape[0], EVAL_ROWS):
                parts.append(self.net_(*_bag_tensors(bags[start : start + EVAL_ROWS])))
        return torch.cat(parts) if parts else torch.zeros((0, 1))

    def _loss(self, bags, target, weight, rows, loss) -> float:
        outputs = self._outputs(bags[rows])
        w = None if weight is None else torch.from_numpy(weight[rows])
        return float(loss(outputs, torch.from_numpy(target[rows]), w))

    def _raw(self, X) -> torch.Tensor:
        return self._outputs(self.hasher_.transform(X).tocsr())


def _optimizers(net: TextNet, lr: float, weight_decay: float) -> list[torch.optim.Optimizer]:
    """SparseAdam for the embedding table (its sparse gradients), Adam with weight decay for
    the layers above it."""
    return [
        torch.optim.SparseAdam(list(net.bag.parameters()), lr=lr),
        torch.optim.Adam(net.head.parameters(), lr=lr, weight_decay=weight_decay),
    ]


def _bag_tensors(bags: sp.csr_matrix) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """EmbeddingBag inputs of CSR rows: the flat bucket indices, each row's offset, weights."""
    return (
        torch.from_numpy(bags.indices.astype(np.int64)),
        torch.from_numpy(bags.indptr[:-1].astype(np.int64)),
        torch.from_numpy(bags.data.astype(np.float32)),
    )


def _hasher(columns, word_ngrams: int, char_ngrams: int, buckets: int) -> ColumnTransformer:
    """Hashed, TF-IDF-weighted (l2-normalised) word and character n-grams of each column, each
    analyser in its own ``buckets`` columns."""
    blocks = []
    for column in columns:
        analysers = [("word", (1, word_ngrams))]
        if char_ngrams:
            analysers.append(("char_wb", (3, char_ngrams)))
        for kind, ngrams in analysers:
            hashing = HashingVectorizer(
                analyzer=kind,
                ngram_range=ngrams,
                n_features=buckets,
                alternate_sign=False,
                norm=None,
                dtype=np.float32,
                **({"token_pattern": TOKENS} if kind == "word" else {}),
            )
            pipeline = make_pipeline(FunctionTransformer(truncate), hashing, TfidfTransformer())
            blocks.append((f"{column}_{kind}", pipeline, column))
    return ColumnTransformer(blocks, sparse_threshold=1.0)


class TextNetClassifier(ClassifierMixin, _TextNetEstimator):
    """Classes 0..k-1 (one logit for two classes, one per class otherwise)."""

    def fit(self, X, y, sample_weight=None) -> TextNetClassifier:
        self.classes_ = np.unique(y)
        codes = np.searchsorted(self.classes_, y)
        binary = len(self.classes_) == 2
        target = codes.astype(np.float32) if binary else codes.astype(np.int64)
        loss = binary_loss() if binary else multiclass_loss()
        return self._fit(X, target, 1 if binary else len(self.classes_), loss, sample_weight)

    def predict_proba(self, X) -> np.ndarray:
        raw = self._raw(X)
        if len(self.classes_) == 2:
            p = torch.sigmoid(raw[:, 0]).numpy()
            return np.column_stack([1 - p, p]).astype(np.float64)
        return torch.softmax(raw, dim=1).numpy().astype(np.float64)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class TextNetRegressor(RegressorMixin, _TextNetEstimator):
    """A standardised target, mean squared error."""

    def fit(self, X, y, sample_weight=None) -> TextNetRegressor:
        y = np.asarray(y, dtype=np.float64)
        self.center_, self.scale_ = float(y.mean()), float(y.std() or 1.0)
        target = ((y - self.center_) / self.scale_).astype(np.float32)
        return self._fit(X, target, 1, regression_loss("mse"), sample_weight)

    def predict(self, X) -> np.ndarray:
        return self._raw(X)[:, 0].numpy().astype(np.float64) * self.scale_ + self.center_


def text_net(ctx: BuildContext, **params) -> _TextNetEstimator:
    """The classifier or regressor for the context's task, over its text columns."""
    model = TextNetClassifier if ctx.task in CLASSIFICATION else TextNetRegressor
    columns = tuple(ctx.schema.features(Role.TEXT))
    return model(columns, n_threads=ctx.n_threads, random_state=ctx.seed, **params)

"""NeuralClassifier and NeuralRegressor: scikit-learn estimators around ``TabularNet``.

They take the ``native`` feature matrix: categorical codes at ``categorical_indices`` (NaN for
missing or unknown), numbers with NaN kept. Imputation, scaling and embeddings happen inside.
After ``fit``: ``net_`` (the CPU module, best epoch's weights), ``curve_`` (per-epoch
``{"epoch", "train_loss", "val_loss", "seconds"}``), ``best_epoch_`` and ``stopped_by_``
(``max_epochs``, ``patience``, ``time_limit``, ``diverged`` or ``pruned``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_array, check_is_fitted

from fitfinder.errors import ModelError
from fitfinder.estimators.neural.network import InputEncoder, TabularNet
from fitfinder.estimators.neural.training import (
    Loss,
    TrainSettings,
    binary_loss,
    multiclass_loss,
    predict_encoded,
    regression_loss,
    train,
    warm_up,
)


class NeuralEstimator(BaseEstimator):
    """Parameters and fitting shared by the classifier and the regressor.

    ``members`` > 1 trains an efficient ensemble of that many networks sharing one body
    (TabM-mini; see ``TabularNet``). ``bins`` is the number of quantile bins per numeric column
    of the ``piecewise`` scaling. ``label_smoothing`` is used by the classifier only,
    ``loss`` (mse, mae, huber) by the regressor only. ``time_limit`` (seconds from the start
    of ``fit``) stops training and keeps the best epoch so far. ``n_threads`` sets
    ``torch.set_num_threads`` during ``fit``.
    ``epoch_callback(epoch, validation loss)`` is called after each epoch; returning True stops
    training there (pruning), keeping the best epoch so far.
    """

    def __init__(
        self,
        *,
        categorical_indices: tuple[int, ...] = (),
        depth: int = 2,
        width: int = 128,
        shape: str = "constant",
        activation: str = "relu",
        norm: str = "none",
        dropout: float = 0.1,
        init: str = "kaiming",
        residual: bool = False,
        members: int = 4,
        scaling: str = "piecewise",
        bins: int = 16,
        optimizer: str = "adamw",
        lr: float = 3e-3,
        schedule: str = "cosine",
        batch_size: int = 256,
        weight_decay: float = 1e-2,
        l1: float = 0.0,
        grad_clip: float | None = None,
        label_smoothing: float = 0.0,
        loss: str = "mse",
        max_epochs: int = 200,
        patience: int = 16,
        validation_fraction: float = 0.1,
        time_limit: float | None = None,
        epoch_callback: Callable[[int, float], bool] | None = None,
        n_threads: int | None = None,
        random_state: int = 0,
        device: str = "auto",
    ):
        self.categorical_indices = categorical_indices
        self.depth = depth
        self.width = width
        self.shape = shape
        self.activation = activation
        self.norm = norm
        self.dropout = dropout
        self.init = init
        self.residual = residual
        self.members = members
        self.scaling = scaling
        self.bins = bins
        self.optimizer = optimizer
        self.lr = lr
        self.schedule = schedule
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.l1 = l1
        self.grad_clip = grad_clip
        self.label_smoothing = label_smoothing
        self.loss = loss
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.time_limit = time_limit
        self.epoch_callback = epoch_callback
        self.n_threads = n_threads
        self.random_state = random_state
        self.device = device

    # -- subclass hooks -----------------------------------------------------------------
    def _target(self, y) -> tuple[torch.Tensor, np.ndarray | None, int]:
        """(target tensor, labels to stratify on or None, number of outputs)."""
        raise NotImplementedError

    def _losses(self) -> tuple[Loss, Loss]:
        """(training loss, validation loss for early stopping)."""
        raise NotImplementedError

    def _link(self, n_outputs: int) -> str:
        """How ensemble members' outputs combine: identity, sigmoid or softmax."""
        raise NotImplementedError

    # -- fitting ------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train with early stopping on an internal validation split; keeps the best epoch."""
        warm_up()  # before the clock starts
        started = time.perf_counter()
        X = check_array(X, dtype=np.float32, ensure_all_finite="allow-nan")
        target, stratify, n_outputs = self._target(y)
        threads = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(self.n_threads)
        try:
            net, outcome = self._train(X, target, stratify, n_outputs, sample_weight, started)
        finally:
            torch.set_num_threads(threads)
        if outcome.steps == 0:
            raise ModelError(
                f"nn: no training step fitted in its time limit ({self.time_limit:.3g} s); "
                "give the trial more time"
            )
        if outcome.best_epoch < 0:
            raise ModelError("nn training diverged: the validation loss was never finite; lower lr")
        self.net_ = net.cpu().eval()
        self.curve_, self.best_epoch_, self.stopped_by_ = (
            outcome.curve,
            outcome.best_epoch,
            outcome.stopped_by,
        )
        self.n_features_in_ = X.shape[1]
        return self

    def _train(self, X, target, stratify, n_outputs: int, sample_weight, started: float):
        """Build the network, encode the data once, train; returns (network, outcome)."""
        torch.manual_seed(self.random_state)
        device = _device(self.device)
        train_rows, val_rows = self._split(len(X), stratify)
        net = self._network(X, train_rows, n_outputs)
        data = [*net.encoder.encode(torch.from_numpy(X)), target]
        if sample_weight is not None:
            data.append(torch.as_tensor(np.asarray(sample_weight), dtype=torch.float32))
        net.to(device)
        rows = torch.from_numpy(train_rows), torch.from_numpy(val_rows)
        train_data, val_data = (tuple(t[r].to(device) for t in data) for r in rows)
        losses = self._losses()
        return net, train(net, train_data, val_data, *losses, self._settings(started), device)

    def _split(self, n: int, stratify: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Training and validation rows; tiny data validates on its training rows."""
        rows = np.arange(n)
        n_val = round(self.validation_fraction * n)
        if n_val < 1 or n - n_val < 2:
            return rows, rows
        if stratify is not None:
            counts = np.bincount(stratify)
            if counts[counts > 0].min() < 2 or n_val < len(counts):
                stratify = None
        train, val = train_test_split(
            rows, test_size=n_val, random_state=self.random_state, stratify=stratify
        )
        return np.sort(train), np.sort(val)

    def _network(self, X: np.ndarray, train_rows: np.ndarray, n_outputs: int) -> TabularNet:
        categorical = tuple(self.categorical_indices)
        encoder = InputEncoder(X, categorical, self.scaling, train_rows, self.bins)
        net = TabularNet(
            encoder,
            n_outputs,
            depth=self.depth,
            width=self.width,
            shape=self.shape,
            activation=self.activation,
            norm=self.norm,
            dropout=self.dropout,
            residual=self.residual,
            members=self.members,
            link=self._link(n_outputs),
        )
        net.initialise(self.init, self.activation)
        return net

    def _settings(self, started: float) -> TrainSettings:
        limit = self.time_limit
        return TrainSettings(
            optimizer=self.optimizer,
            lr=self.lr,
            schedule=self.schedule,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            l1=self.l1,
            grad_clip=self.grad_clip,
            max_epochs=self.max_epochs,
            patience=self.patience,
            seed=self.random_state,
            deadline=math.inf if limit is None else started + limit,
            on_epoch=self.epoch_callback,
        )

    # -- prediction ---------------------------------------------------------------------
    def _outputs(self, X) -> torch.Tensor:
        """The network's raw outputs for ``X`` (CPU, evaluation mode)."""
        check_is_fitted(self, "net_")
        X = check_array(X, dtype=np.float32, ensure_all_finite="allow-nan")
        numeric, codes = self.net_.encoder.encode(torch.from_numpy(X))
        return predict_encoded(self.net_, numeric, codes, torch.device("cpu"))


class NeuralClassifier(ClassifierMixin, NeuralEstimator):
    """Feed-forward network classifier: one logit with binary cross-entropy for two classes,
    softmax cross-entropy otherwise."""

    def _target(self, y):
        self.classes_, encoded = np.unique(np.asarray(y), return_inverse=True)
        if len(self.classes_) < 2:
            raise ModelError(
                f"nn needs at least two classes in the training target, got {len(self.classes_)}"
            )
        binary = len(self.classes_) == 2
        target = torch.from_numpy(encoded.astype(np.float32 if binary else np.int64))
        return target, encoded, 1 if binary else len(self.classes_)

    def _losses(self):
        if len(self.classes_) == 2:
            return binary_loss(self.label_smoothing), binary_loss()
        return multiclass_loss(self.label_smoothing), multiclass_loss()

    def _link(self, n_outputs: int) -> str:
        return "sigmoid" if n_outputs == 1 else "softmax"

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order."""
        outputs = self._outputs(X).double()
        if len(self.classes_) == 2:
            positive = torch.sigmoid(outputs[:, 0]).numpy()
            return np.column_stack([1 - positive, positive])
        return torch.softmax(outputs, dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class NeuralRegressor(RegressorMixin, NeuralEstimator):
    """Feed-forward network regressor on the standardised target (mse, mae or huber loss)."""

    def _target(self, y):
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_, scale = float(y.mean()), float(y.std())
        self.y_scale_ = scale if scale > 0 else 1.0
        target = torch.from_numpy(((y - self.y_mean_) / self.y_scale_).astype(np.float32))
        return target, None, 1

    def _losses(self):
        return regression_loss(self.loss), regression_loss("mse")

    def _link(self, n_outputs: int) -> str:
        return "identity"

    def predict(self, X) -> np.ndarray:
        outputs = self._outputs(X)[:, 0].double().numpy()
        return outputs * self.y_scale_ + self.y_mean_


def _device(name: str) -> torch.device:
    """CUDA when asked for or when ``auto`` finds one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)

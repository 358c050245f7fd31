"""NeuralClassifier / NeuralRegressor: what they learn and how training behaves."""

import time

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score

from fitfinder.errors import ModelError
from fitfinder.estimators.neural import SPACE
from fitfinder.estimators.neural.estimator import NeuralClassifier, NeuralRegressor
from fitfinder.estimators.neural.network import InputEncoder, TabularNet
from fitfinder.estimators.neural.training import (
    ShuffledBatches,
    TrainSettings,
    evaluate_loss,
    lr_factor,
    multiclass_loss,
    train,
    warm_up,
)

FAST = dict(max_epochs=60, patience=60, width=64, lr=3e-3, batch_size=64, dropout=0.0, n_threads=1)


@pytest.mark.parametrize("members", [1, 4])
def test_learns_xor_which_a_linear_model_cannot(xor, members):
    X, y, X_test, y_test = xor
    linear = accuracy_score(y_test, LogisticRegression().fit(X, y).predict(X_test))
    model = NeuralClassifier(**FAST, members=members).fit(X, y)
    ours = accuracy_score(y_test, model.predict(X_test))
    assert linear < 0.65 and ours > 0.9
    assert model.predict_proba(X_test).shape == (len(X_test), 2)


@pytest.mark.parametrize("members", [1, 4])
def test_learns_a_smooth_nonlinear_target_which_a_linear_model_cannot(smooth, members):
    X, y, X_test, y_test = smooth
    linear = r2_score(y_test, Ridge().fit(X, y).predict(X_test))
    ours = r2_score(y_test, NeuralRegressor(**FAST, members=members).fit(X, y).predict(X_test))
    assert linear < 0.4 and ours > 0.9


def test_categorical_embeddings_learn_and_missing_or_unseen_codes_still_predict(mixed):
    X, y = mixed
    model = NeuralClassifier(categorical_indices=(0,), **FAST).fit(X[:600], y[:600])
    assert accuracy_score(y[600:], model.predict(X[600:])) > 0.85
    odd = X[600:610].copy()
    odd[:5, 0], odd[5:, 0] = np.nan, 42.0
    assert np.isfinite(model.predict_proba(odd)).all()


@pytest.mark.parametrize("members", [1, 4])
def test_multiclass_labels_and_probabilities(members):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.array(["a", "b", "c"])[np.digitize(X[:, 0] + X[:, 1] ** 2, [-0.2, 0.8])]
    model = NeuralClassifier(**FAST | {"max_epochs": 20}, members=members).fit(X, y)
    proba = model.predict_proba(X)
    assert list(model.classes_) == ["a", "b", "c"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert set(model.predict(X)) <= {"a", "b", "c"}


def _overfitting_setup(seed=0):
    """Few noisy rows and a wide network with a high rate: validation loss turns up early."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, 10)).astype(np.float32)
    y = rng.integers(0, 3, 120)
    encoder = InputEncoder(X, (), "standard", np.arange(80), bins=16)
    net = TabularNet(
        encoder,
        3,
        depth=2,
        width=128,
        shape="constant",
        activation="relu",
        norm="none",
        dropout=0.0,
        residual=False,
    )
    numeric, codes = encoder(torch.from_numpy(X))
    target = torch.from_numpy(y)
    train_part = (numeric[:80], codes[:80], target[:80])
    val_part = (numeric[80:], codes[80:], target[80:])
    settings = TrainSettings("adam", 1e-2, "constant", 16, 0.0, 0.0, None, 200, 5, seed)
    return net, train_part, val_part, settings


def test_early_stopping_restores_the_best_epoch():
    net, train_part, val_part, settings = _overfitting_setup()
    loss = multiclass_loss()
    outcome = train(net, train_part, val_part, loss, loss, settings, torch.device("cpu"))
    val_losses = [entry["val_loss"] for entry in outcome.curve]
    assert outcome.stopped_by == "patience"
    assert len(val_losses) == outcome.best_epoch + settings.patience < settings.max_epochs
    assert outcome.best_epoch == int(np.argmin(val_losses)) + 1
    restored = evaluate_loss(net, val_part, loss, torch.device("cpu"))
    assert restored == pytest.approx(min(val_losses), rel=1e-6)
    assert restored < val_losses[-1]


def test_curve_is_recorded_per_epoch(xor):
    X, y, _, _ = xor
    model = NeuralClassifier(**FAST | {"max_epochs": 5}).fit(X, y)
    assert [entry["epoch"] for entry in model.curve_] == [1, 2, 3, 4, 5]
    assert {"train_loss", "val_loss", "seconds"} <= set(model.curve_[0])
    assert model.stopped_by_ == "max_epochs" and 1 <= model.best_epoch_ <= 5


def test_same_seed_same_predictions_other_seed_other_predictions(mixed):
    X, y = (part[:400] for part in mixed)
    params = dict(
        categorical_indices=(0,), max_epochs=4, width=64, dropout=0.2, norm="batch", n_threads=2
    )
    first = NeuralClassifier(**params, random_state=3).fit(X, y).predict_proba(X)
    again = NeuralClassifier(**params, random_state=3).fit(X, y).predict_proba(X)
    other = NeuralClassifier(**params, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_time_limit_stops_training_and_keeps_the_best_epoch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 20))
    y = X[:, 0] * X[:, 1] + rng.normal(0, 0.1, 20000)
    warm_up()  # a process's first fit imports more, before its clock starts
    started = time.perf_counter()
    model = NeuralRegressor(
        max_epochs=10_000, patience=10_000, batch_size=32, time_limit=1.5, n_threads=1
    )
    model.fit(X, y)
    assert time.perf_counter() - started < 3.0
    assert model.stopped_by_ == "time_limit"
    val_losses = [entry["val_loss"] for entry in model.curve_]
    assert model.best_epoch_ == int(np.argmin(val_losses)) + 1
    assert np.isfinite(model.predict(X[:100])).all()


def test_a_fit_with_no_time_for_a_single_step_fails_clearly(xor):
    X, y, _, _ = xor
    with pytest.raises(ModelError, match=r"nn: no training step fitted in its time limit \(0 s\)"):
        NeuralClassifier(time_limit=0.0).fit(X, y)


@pytest.mark.parametrize("members", [1, 3])
def test_sample_weight_of_ones_changes_nothing_and_zero_weights_ignore_rows(smooth, members):
    X, y, _, _ = smooth
    params = FAST | {"max_epochs": 10, "members": members}
    plain = NeuralRegressor(**params).fit(X, y).predict(X)
    ones = NeuralRegressor(**params).fit(X, y, sample_weight=np.ones(len(y))).predict(X)
    np.testing.assert_allclose(plain, ones, rtol=1e-4, atol=1e-4)
    weights = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.0)
    flipped = np.where(weights > 0, y, -100.0)  # the zero-weight rows carry absurd targets...
    model = NeuralRegressor(**params).fit(X, flipped, sample_weight=weights)
    assert np.median(model.predict(X)) > -20  # ...and barely move the fit


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (key, value)
        for key in (
            "activation",
            "norm",
            "init",
            "optimizer",
            "schedule",
            "loss",
            "scaling",
            "shape",
            "residual",
        )
        for value in SPACE[key].choices
    ],
)
def test_every_searched_choice_trains(key, value, smooth):
    X, y, _, _ = smooth
    params = dict(
        max_epochs=2, depth=2, width=32, batch_size=64, l1=1e-4, grad_clip=1.0, n_threads=1
    )
    regressor = NeuralRegressor(**params, **{key: value}).fit(X[:200], y[:200])
    assert np.isfinite(regressor.predict(X[:20])).all()
    if key != "loss":
        classifier = NeuralClassifier(**params, label_smoothing=0.1, **{key: value}).fit(
            X[:200], y[:200] > 1
        )
        assert np.isfinite(classifier.predict_proba(X[:20])).all()


def test_schedules_start_and_end_where_expected():
    assert lr_factor("constant", 0.9) == 1.0
    assert lr_factor("cosine", 0.0) == 1.0 and lr_factor("cosine", 1.0) == pytest.approx(0.0)
    assert lr_factor("onecycle", 0.0) < 0.1 and lr_factor("onecycle", 0.3) == pytest.approx(1.0)
    assert lr_factor("polynomial", 0.5) == pytest.approx(0.25)


def test_batches_cover_every_row_once_per_epoch_and_never_leave_a_single_row():
    batches = list(ShuffledBatches(9, 4, torch.Generator().manual_seed(0)))
    assert [len(b) for b in batches] == [4, 4]  # the ninth row alone would break BatchNorm
    rows = torch.cat(list(ShuffledBatches(10, 4, torch.Generator().manual_seed(0))))
    assert sorted(rows.tolist()) == list(range(10))
    assert len(ShuffledBatches(10, 4, torch.Generator())) == 3


def test_threads_are_restored_after_fit(xor):
    X, y, _, _ = xor
    before = torch.get_num_threads()
    NeuralClassifier(max_epochs=1, n_threads=1).fit(X, y)
    assert torch.get_num_threads() == before

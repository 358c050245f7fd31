"""The fastText-style text network on real texts: it learns, stops on time, repeats itself."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, r2_score

from fitfinder.data import Schema
from fitfinder.estimators.base import BuildContext

pytest.importorskip("torch")

from fitfinder.tasks.text import neural  # noqa: E402


@pytest.fixture(scope="module")
def reviews(shared_dataset):
    train, test, _ = shared_dataset("fine_food_reviews")
    schema = Schema.infer(train[["text"]])
    X, X_test = schema.conform(train[["text"]].head(2000)), schema.conform(test[["text"]])
    y = (train["label"].head(2000) == "great").to_numpy(dtype=int)
    return schema, X, y, X_test, (test["label"] == "great").to_numpy(dtype=int)


def _net(schema, task, **changes):
    ctx = BuildContext(task, 2000, 1, 0, (), schema)
    return neural.build(neural.LOW_COST | changes, ctx)


def test_classifier_learns_the_reviews_and_repeats_itself(reviews):
    schema, X, y, X_test, truth = reviews
    first = _net(schema, "binary").fit(X, y)
    proba = first.predict_proba(X_test)
    assert f1_score(truth, first.predict(X_test), average="macro") > 0.6  # majority: 0.39
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    again = _net(schema, "binary").fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X_test), proba, atol=1e-6)


def test_regressor_and_multiclass(reviews):
    schema, X, y, X_test, truth = reviews
    regressor = _net(schema, "regression", max_epochs=8).fit(X, y.astype(float))
    assert r2_score(truth, regressor.predict(X_test)) > 0.05
    classes = (np.arange(len(y)) % 3) * (y + 1)  # three labels, two tied to the text
    proba = _net(schema, "multiclass", hidden=64).fit(X, classes).predict_proba(X_test)
    assert proba.shape == (len(X_test), len(np.unique(classes)))


def test_a_time_limit_stops_training_with_the_best_weights_so_far(reviews):
    schema, X, y, X_test, _ = reviews
    net = _net(schema, "binary", max_epochs=40)
    net.set_params(time_limit=0.3)
    net.fit(X, y)
    assert net.stopped_by_ == "time_limit" and net.epochs_ < 40
    assert np.isfinite(net.predict_proba(X_test)).all()


def test_the_family_applies_only_to_tables_with_text(reviews):
    schema = reviews[0]
    assert neural.FAMILY.applies(schema)
    numbers = Schema.infer(reviews[1].assign(x=np.arange(len(reviews[1])) % 7)[["x"]])
    assert not neural.FAMILY.applies(numbers)

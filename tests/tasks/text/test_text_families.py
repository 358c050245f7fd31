"""The text families on real reviews: each learns the text, honours its vectorizer settings
and keeps memory bounded by hashing above the vocabulary limit."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, r2_score

from fitfinder.data import Schema, prepare_target
from fitfinder.features import build_pipeline
from fitfinder.tasks.text.families import boosting, linear, naive_bayes, nbsvm, svm
from fitfinder.tasks.text.families.nbsvm import NBSVMClassifier
from fitfinder.tasks.text.vectorize import HASHING_ABOVE, MAX_CHARS, text_features, truncate

FAMILIES = [linear.FAMILY, svm.FAMILY, naive_bayes.FAMILY, nbsvm.FAMILY, boosting.FAMILY]


@pytest.fixture(scope="module")
def reviews(shared_dataset):
    train, test, _ = shared_dataset("fine_food_reviews")
    train = train.head(1500).assign(length=lambda f: f["text"].str.len())
    test = test.head(600).assign(length=lambda f: f["text"].str.len())
    return train, test


def _fit(family, train, task, config=None):
    X = train.drop(columns="label")
    schema = Schema.infer(X)
    info = prepare_target(train["label"], task) if task != "regression" else None
    y = info.y if info else (train["label"] == "great").astype(float).to_numpy()
    pipe = build_pipeline(schema, family, config or family.defaults, task=task, n_rows=len(X))
    return pipe.fit(schema.conform(X), y), schema, info


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_each_family_learns_the_reviews(reviews, family):
    train, test = reviews
    pipe, schema, info = _fit(family, train, "binary")
    predicted = pipe.predict(schema.conform(test.drop(columns="label")))
    truth = np.searchsorted(info.labels, test["label"])
    macro_f1 = f1_score(truth, predicted, average="macro")
    assert macro_f1 > 0.6, f"{family.name}: macro F1 {macro_f1:.3f}"  # majority class: 0.39
    proba = pipe.predict_proba(schema.conform(test.drop(columns="label")))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize(
    "family", [linear.FAMILY, svm.FAMILY, boosting.FAMILY], ids=lambda f: f.name
)
def test_regression_families_fit_a_text_target(reviews, family):
    train, test = reviews
    pipe, schema, _ = _fit(family, train, "regression")
    predicted = pipe.predict(schema.conform(test.drop(columns="label")))
    assert r2_score((test["label"] == "great").astype(float), predicted) > 0.15


def test_low_cost_configs_fit_and_the_families_apply_only_to_text(reviews):
    train, _ = reviews
    for family in FAMILIES:
        _fit(family, train, "binary", family.low_cost)
        assert family.applies(Schema.infer(train.drop(columns="label")))
        assert not family.applies(Schema.infer(train[["length"]].assign(x=1.5)))


def test_vectorizer_follows_its_config_and_hashes_large_vocabularies(reviews):
    train, _ = reviews
    schema = Schema.infer(train.drop(columns="label"))
    X = schema.conform(train.drop(columns="label"))
    words = text_features(schema, {"word_ngrams": 1, "char_ngrams": 0, "max_features": 500})
    assert words.fit_transform(X).shape[1] == 500 + 1  # the terms and the length column
    chars = text_features(schema, {"word_ngrams": 2, "char_ngrams": 4, "max_features": 500}, None)
    assert chars.fit_transform(X).shape[1] == 1000  # words and characters, no other column
    big = HASHING_ABOVE + 1
    hashed = text_features(schema, {"word_ngrams": 1, "char_ngrams": 0, "max_features": big})
    matrix = hashed.fit_transform(X)
    assert matrix.shape[1] == 2 ** int(np.ceil(np.log2(big))) + 1 and matrix.nnz < 10**6


def test_long_texts_are_cut_and_missing_texts_read_as_empty():
    cut = truncate(pd.Series(["x" * (MAX_CHARS + 50), ""]))
    assert [len(t) for t in cut] == [MAX_CHARS, 0]
    texts = [None if i % 4 == 1 else f"review {i} says the food was good" for i in range(40)]
    frame = pd.DataFrame({"text": texts, "n": [1.0, 2.0, 3.0, 5.0] * 10})
    schema = Schema.infer(frame)
    features = text_features(schema, {"word_ngrams": 1, "char_ngrams": 0, "max_features": 50})
    matrix = features.fit_transform(schema.conform(frame)).tocsr()
    assert matrix[1].nnz == 1  # the missing text has only its number column


def test_nbsvm_multiclass_probabilities_and_weights():
    rng = np.random.default_rng(0)
    X = rng.poisson(0.3, size=(300, 40)).astype(float)
    y = np.argmax(X[:, :3], axis=1)
    model = NBSVMClassifier().fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (300, 3) and np.allclose(proba.sum(axis=1), 1)
    assert (model.predict(X) == y).mean() > 0.8
    weighted = NBSVMClassifier().fit(X, y, sample_weight=np.where(y == 0, 10.0, 0.1))
    assert (weighted.predict(X) == 0).mean() > (model.predict(X) == 0).mean()

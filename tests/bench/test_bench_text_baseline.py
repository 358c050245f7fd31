"""bench/systems/run_tfidf_lr.py: the tuned text baseline searches within its budget."""

import pandas as pd
import pytest
import run_tfidf_lr


@pytest.fixture(scope="module")
def reviews(shared_dataset):
    train, test, _ = shared_dataset("fine_food_reviews")
    return train.head(600), test.head(200)


def test_the_baseline_searches_from_the_textbook_start_and_refits_the_best(reviews, monkeypatch):
    train, test = reviews
    tried = []

    def scored(X, y, text, config, seed):  # instant folds: the search runs until the budget
        tried.append(config)
        return -abs(config["C"] - 1.0), 0.01

    monkeypatch.setattr(run_tfidf_lr, "cv_score", scored)
    model = run_tfidf_lr.fit(
        train.drop(columns="label"), train["label"], {"budget": 0.5, "seed": 0}
    )
    assert len(tried) > 2 and tried[0] == {"C": 4.0, "words": 2, "chars": (2, 5)}
    best = min(tried, key=lambda c: abs(c["C"] - 1.0))
    assert best["C"] == model.model[-1].C
    assert set(model.predict(test.drop(columns="label"))) <= set(train["label"])
    assert model.predict_proba(test).shape == (len(test), 2)


def test_text_columns_are_the_string_columns():
    frame = pd.DataFrame({"text": ["good food", "bad"] * 10, "n": range(20)})
    y = pd.Series(["a", "b"] * 10)
    model = run_tfidf_lr.fit(frame, y, {"budget": 0.1, "seed": 0})
    assert model.text == ["text"]

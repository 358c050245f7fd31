"""Large data: trials fit on growing samples of the training rows, the final model on all."""

import numpy as np
import pandas as pd
import pytest

from fitfinder import AutoML

N_ROWS = 60_000  # holdout: 48,000 training rows, more than 4 x 10,000
N_TEST = 5_000


@pytest.fixture(scope="module")
def large_table():
    """(training table, test table) of a noisy nonlinear binary target."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_ROWS + N_TEST, 4))
    logit = X[:, 0] - 0.5 * X[:, 1] * X[:, 2] + np.sin(2 * X[:, 3])
    label = np.where(rng.random(len(X)) < 1 / (1 + np.exp(-logit)), "y", "n")
    table = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(label=label)
    return table.iloc[:N_ROWS], table.iloc[N_ROWS:]


def fit(table, **options):
    automl = AutoML(
        estimators=["knn"], time_budget=None, seed=0, verbose=0, ensemble=False, **options
    )
    return automl.fit(table, target="label")


def test_trials_start_on_samples_and_the_final_model_is_refit_on_all_rows(large_table):
    train, test = large_table
    automl = fit(train, max_trials=6, sample=True)
    records = automl.journal_.trials(automl.run_id_)
    assert [r.sample_size for r in records][:4] == [10_000] * 4
    assert all(r.status == "done" for r in records)
    assert automl.journal_.get_run(automl.run_id_).settings["sample"] is True
    board = automl.leaderboard()
    assert set(board["sample_size"].dropna()) <= {10_000, 40_000}
    assert automl.model_.info["refit"] == "refit on all training rows"
    assert automl.best_estimator[-1].n_samples_fit_ == N_ROWS
    assert automl.score(test.drop(columns="label"), test["label"]) > 0.7  # roc_auc


def test_by_default_every_trial_fits_on_all_training_rows(large_table):
    automl = fit(large_table[0], max_trials=2)
    records = automl.journal_.trials(automl.run_id_)
    assert [r.sample_size for r in records] == [None, None]
    assert "sample_size" not in automl.leaderboard().columns

"""The validation-overfitting guard end to end: near ties rechecked on a second split."""

import numpy as np

from fitfinder import AutoML


def _fit(train, **options):
    automl = AutoML(
        time_budget=None, max_trials=8, estimators=["glm", "lightgbm"], ensemble=False,
        verbose=0, **options,
    )  # fmt: skip
    return automl.fit(train, target="target")


def test_near_ties_are_rechecked_and_the_lowest_mean_loss_wins(breast_cancer):
    train, _ = breast_cancer
    automl = _fit(train)
    info = automl.model_.info
    check = info["recheck"]
    losses = {int(n): pair for n, pair in check["losses"].items()}
    assert len(losses) >= 2
    board = automl.leaderboard().set_index("trial")
    for number, (first, _) in losses.items():  # the first loss is the journaled one
        assert np.isclose(board.loc[number, "loss"], first)
    rechecked = {n: np.mean(pair) for n, pair in losses.items() if pair[1] is not None}
    assert check["chosen"] == min(rechecked, key=rechecked.get)
    assert info["best_trial"] == check["chosen"]
    chosen = board.loc[check["chosen"]]
    assert automl.best_family == chosen["family"]


def test_recheck_off_keeps_the_lowest_validation_loss(breast_cancer):
    train, _ = breast_cancer
    automl = _fit(train, recheck=False)
    board = automl.leaderboard()
    assert "recheck" not in automl.model_.info
    assert automl.model_.info["best_trial"] == board.loc[board["loss"].idxmin(), "trial"]

"""fitfinder.tune with intermediate reports and pruners: who stops where, what is journaled."""

import numpy as np
import pytest

from fitfinder import tune
from fitfinder.errors import ConfigError
from fitfinder.search import uniform
from fitfinder.search.pruners import MedianPruner
from fitfinder.storage import Journal
from fitfinder.tuning import TrialPruned

SPACE = {"x": uniform(0, 1)}
STEPS = 10


def expected_median_stops(x: np.ndarray, startup: int, warmup: int) -> list[int | None]:
    """Where each trial of curves ``x + 1/step`` (never crossing) stops: the first step from
    ``warmup`` on where at least ``startup`` earlier trials got there and ``x`` is above their
    median."""
    last, stops = [], []
    for i, value in enumerate(x):
        peers = {s: [x[j] for j in range(i) if last[j] >= s] for s in range(warmup, STEPS + 1)}
        stop = next(
            (s for s, p in peers.items() if len(p) >= startup and value > np.median(p)), None
        )
        stops.append(stop)
        last.append(stop or STEPS)
    return stops


def test_median_pruner_stops_trials_above_the_median_of_those_that_reached_the_step(tmp_path):
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    reported = []

    def objective(config, report):
        for step in range(1, STEPS + 1):
            reported.append(step)
            report(step, config["x"] + 1 / step)
        return config["x"]

    pruner = MedianPruner(n_startup_trials=3, n_warmup_steps=4)
    result = tune(objective, SPACE, num_samples=25, search="random", storage=url, pruner=pruner)
    trials = result.trials
    stops = expected_median_stops(trials["config.x"].to_numpy(), startup=3, warmup=4)
    assert [None if np.isnan(s) else s for s in trials["pruned_step"]] == stops
    assert list(trials["status"] == "pruned") == [s is not None for s in stops]
    assert {4, 5} <= set(stops)  # pruned at the end of the warm-up, and later
    pruned = trials[trials["status"] == "pruned"]
    assert np.allclose(pruned["loss"], pruned["config.x"] + 1 / pruned["pruned_step"])
    assert len(reported) == sum(s or STEPS for s in stops)
    assert result.best_config["x"] == trials.loc[trials["status"] == "done", "config.x"].min()
    with Journal(url) as journal:
        records = journal.trials(journal.latest_run().id)
    assert [r.pruned_step for r in records] == stops
    assert [sorted(r.curve) for r in records] == [list(range(1, (s or STEPS) + 1)) for s in stops]


def test_halving_by_name_maximising_and_a_swallowed_prune_still_counts():
    def objective(config, report):
        for step in range(1, 28):
            try:
                report(step, config["x"] * (1 - 1 / (step + 1)))  # higher is better
            except TrialPruned:
                return 0.0  # an objective that swallows the stop is still pruned
        return config["x"]

    result = tune(objective, SPACE, metric="score", mode="max", num_samples=20, pruner="halving")
    trials = result.trials
    pruned = trials[trials["status"] == "pruned"]
    assert len(pruned) > 0 and set(pruned["pruned_step"]) <= {1, 3, 9}  # rungs below 27
    for _, trial in pruned.iterrows():  # stopped only by an earlier, better trial
        assert trial["config.x"] < trials.loc[: trial.name - 1, "config.x"].max()
    step = pruned["pruned_step"].to_numpy()
    assert np.allclose(pruned["score"], pruned["config.x"] * (1 - 1 / (step + 1)))
    assert result.best_result["score"] == trials.loc[trials["status"] == "done", "score"].max()


def test_reports_without_a_pruner_are_kept_and_bad_names_are_config_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'tune.db'}"

    def objective(config, report):
        report(1, 2.0)
        report(2, 1.0)
        return 1.0

    assert (tune(objective, SPACE, num_samples=3, storage=url).trials["status"] == "done").all()
    with Journal(url) as journal:
        assert journal.trials(journal.latest_run().id)[0].curve == {1: 2.0, 2: 1.0}
    with pytest.raises(ConfigError, match="unknown pruner"):
        tune(objective, SPACE, num_samples=3, pruner="early")

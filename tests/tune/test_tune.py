"""fitfinder.tune: black-box search over nested spaces, journaled and resumable."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fitfinder import tune
from fitfinder.errors import ConfigError, FitfinderError, ResumeError
from fitfinder.search import choice, lograndint, loguniform, quniform, randint, uniform

SPACE = {"x": uniform(-5, 5), "lr": loguniform(1e-4, 1.0)}


def bowl(config):
    return (config["x"] - 1.5) ** 2 + np.log10(config["lr"] / 1e-2) ** 2


def test_tunes_a_real_sklearn_model_on_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)

    def objective(config):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=config["C"], max_iter=500))
        return {"accuracy": cross_val_score(model, X, y, cv=3).mean(), "C": config["C"]}

    result = tune(
        objective, {"C": loguniform(1e-4, 1e2)}, metric="accuracy", mode="max",
        num_samples=8, search="tpe",
    )  # fmt: skip
    assert len(result.trials) == 8
    assert result.best_result["accuracy"] == result.trials["accuracy"].max() > 0.96
    assert result.best_config["C"] == result.best_result["C"]


def test_conditional_choice_gives_nested_configs_of_the_chosen_branch():
    space = {
        "model": choice(
            [{"kind": "a", "x": uniform(0, 1)}, {"kind": "b", "c": loguniform(1, 100)}]
        ),
        "fixed": 7,
    }

    def objective(config):
        model = config["model"]
        assert set(model) == ({"kind", "x"} if model["kind"] == "a" else {"kind", "c"})
        return 0.5 + model["x"] if model["kind"] == "a" else abs(np.log10(model["c"]) - 1)

    result = tune(objective, space, num_samples=40, seed=1)
    assert result.best_config["model"]["kind"] == "b"
    assert abs(result.best_config["model"]["c"] - 10) < 3
    assert result.best_config["fixed"] == 7


@pytest.mark.parametrize("search", ["random", "grid", "tpe", "local", "blend", "auto"])
def test_same_seed_same_trials(search):
    first = tune(bowl, SPACE, num_samples=15, search=search, seed=2).trials
    again = tune(bowl, SPACE, num_samples=15, search=search, seed=2).trials
    assert first[["config.x", "config.lr", "loss"]].equals(again[["config.x", "config.lr", "loss"]])


def test_failures_are_recorded_and_the_search_goes_on():
    def objective(config):
        if config["x"] > 2:
            raise ValueError("too big\nsecond line")
        return bowl(config)

    trials = tune(objective, SPACE, num_samples=30, search="random").trials
    failed = trials[trials["status"] == "failed"]
    assert len(failed) > 0 and (failed["error"] == "ValueError: too big").all()
    assert (trials["status"] == "done").sum() > 0


def test_an_objective_that_always_fails_is_an_error():
    with pytest.raises(FitfinderError, match="tune trials failed; first errors: KeyError"):
        tune(lambda config: {}["missing"], SPACE, num_samples=5)


def test_journaled_run_resumes_without_rerunning_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    calls = []

    def objective(config):
        calls.append(config)
        return bowl(config)

    tune(objective, SPACE, num_samples=5, storage=url)
    resumed = tune(objective, SPACE, num_samples=8, storage=url, resume=True)
    assert len(calls) == 8
    assert list(resumed.trials["number"]) == list(range(8))
    assert resumed.best_result["loss"] == resumed.trials["loss"].min()
    with pytest.raises(ResumeError, match="another space"):
        tune(objective, {"x": uniform(0, 1)}, num_samples=9, storage=url, resume=True)


def test_low_cost_is_the_first_trial_and_time_budget_ends_the_search():
    result = tune(bowl, SPACE, time_budget=0.5, low_cost={"x": -4.0, "lr": 0.5})
    first = result.trials.iloc[0]
    assert (first["config.x"], first["config.lr"]) == (-4.0, 0.5)
    assert len(result.trials) > 1


def test_space_helpers():
    rng = np.random.default_rng(0)
    assert randint(1, 4).high == 3  # upper bound excluded, as in Ray Tune and FLAML
    assert lograndint(1, 100).log
    q = quniform(0, 1, 0.25)
    assert {q.from_unit(u) for u in rng.random(200)} == {0.0, 0.25, 0.5, 0.75, 1.0}
    assert choice(["a", "b"]).choices == ("a", "b")
    with pytest.raises(ConfigError, match="low must be positive"):
        loguniform(0, 1)


def test_configuration_mistakes_are_config_errors():
    with pytest.raises(ConfigError, match="choose one of"):
        tune(bowl, SPACE, num_samples=3, search="annealing")
    with pytest.raises(ConfigError, match="without 'loss'"):
        tune(lambda config: {"acc": 1.0}, SPACE, num_samples=3)
    with pytest.raises(ConfigError, match="time_budget or num_samples"):
        tune(bowl, SPACE)
    with pytest.raises(ConfigError, match="not a dimension"):
        tune(bowl, SPACE, num_samples=3, low_cost={"y": 1})

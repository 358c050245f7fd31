"""Warm start: an earlier run's best configs per family seed the next search."""

import logging

import pytest

from fitfinder import AutoML
from fitfinder.errors import ConfigError
from fitfinder.estimators import FAMILIES
from fitfinder.search.warm_start import journal_url, warm_start_configs
from fitfinder.storage import Journal
from fitfinder.trials.spec import TrialResult

GLM, LGBM = FAMILIES["glm"], FAMILIES["lightgbm"]


def glm(C):
    return {**GLM.defaults, "C": C}


def write_journal(path, task, trials):
    """A journal with one run of ``task`` holding ``trials``: (family, config, loss) tuples."""
    with Journal(f"sqlite:///{path}") as journal:
        run = journal.create_run({"task": task}, "fingerprint")
        for number, (family, config, loss) in enumerate(trials):
            status = "failed" if loss is None else "done"
            journal.record_trial(run, TrialResult(number, family, config, None, status, loss))
    return path


@pytest.fixture
def journal_file(tmp_path):
    trials = [
        ("glm", glm(1.0), 0.30),
        ("glm", glm(4.0), 0.10),
        ("glm", glm(2.0), 0.20),
        ("glm", glm(8.0), 0.25),
        ("glm", glm(4.0), 0.10),  # the same config twice counts once
        ("glm", glm(16.0), None),  # failed
        ("glm", {"C": 1.0, "depth": 3}, 0.01),  # no longer fits glm's space
        ("ensemble", {"members": [1, 2]}, 0.05),
        ("lightgbm", dict(LGBM.defaults), 0.15),
        ("mystery", {"a": 1}, 0.0),  # a family this search does not have
    ]
    return write_journal(tmp_path / "journal.db", "binary", trials)


def test_best_distinct_finished_configs_per_family_best_first(journal_file, caplog):
    with caplog.at_level(logging.WARNING, logger="fitfinder"):
        configs = warm_start_configs(journal_file, "binary", [GLM, LGBM])
    assert configs == {"glm": [glm(4.0), glm(2.0), glm(8.0)], "lightgbm": [LGBM.defaults]}
    assert "mystery configs: the family is not in this search" in caplog.text
    assert "glm configs: 'depth' is not a parameter" in caplog.text
    assert warm_start_configs(journal_file, "binary", [LGBM]) == {"lightgbm": [LGBM.defaults]}


def test_a_model_directory_a_file_and_a_url_all_name_the_journal(journal_file):
    url = f"sqlite:///{journal_file.resolve()}"
    assert journal_url(journal_file.parent) == journal_url(journal_file) == url
    assert journal_url(url) == url


@pytest.mark.parametrize("where", ["missing_dir", "missing_file", "bad_url"])
def test_no_journal_there_is_a_one_line_config_error(tmp_path, where):
    source = {
        "missing_dir": tmp_path,  # a directory without journal.db
        "missing_file": tmp_path / "nope.db",
        "bad_url": "sqlite:///" + str(tmp_path / "nope.db"),
    }[where]
    with pytest.raises(ConfigError, match="no journal there; give a model directory"):
        warm_start_configs(source, "binary", [GLM])
    assert not (tmp_path / "nope.db").exists()  # looking never creates a database


def test_a_run_of_another_task_is_refused(journal_file):
    with pytest.raises(ConfigError, match="its run is a binary fit, this one is regression"):
        warm_start_configs(journal_file, "regression", [GLM])


def fit_trials(data, **options):
    automl = AutoML(time_budget=None, split="holdout", ensemble=False, verbose=0, **options)
    automl.fit(data, target="target")
    return automl, automl.journal_.trials(automl.run_id_)


@pytest.mark.slow  # two full fits: 13.6 s measured on the shared, loaded 2-core machine
def test_a_warm_started_fit_begins_where_the_earlier_run_got_to(breast_cancer, tmp_path):
    train, _ = breast_cancer
    families = ["glm", "lightgbm"]
    first, trials = fit_trials(
        train, estimators=families, max_trials=8, portfolio=False, storage=None
    )
    first.save(tmp_path / "model")
    expected = warm_start_configs(tmp_path / "model", "binary", [GLM, LGBM])
    first_family, second_family = expected  # ordered by their best loss in the earlier run
    assert min_loss(trials, first_family) <= min_loss(trials, second_family)

    _, again = fit_trials(
        train, estimators=families, max_trials=5, portfolio=False, warm_start=tmp_path / "model"
    )
    round_robin = [
        (family, configs[rank])
        for rank in range(3)
        for family, configs in expected.items()
        if rank < len(configs) and configs[rank] != FAMILIES[family].low_cost
    ]  # a config the cheap starts already ran is not run again
    seeded = [(t.family, t.config) for t in again[2:5]]  # after the two cheap starts
    assert seeded == round_robin[:3]
    defaults = [f.defaults for f in (GLM, LGBM)]
    assert any(config not in defaults for _, config in seeded)  # found by the earlier search
    with pytest.raises(ConfigError, match="this one is regression"):
        fit_trials(
            train.assign(target=train["mean radius"]),
            task="regression",
            max_trials=1,
            warm_start=tmp_path / "model",
        )


def min_loss(trials, family):
    return min(t.loss for t in trials if t.family == family and t.status == "done")

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fitfinder.errors import ConfigError
from fitfinder.storage import Journal, default_url
from fitfinder.trials import DONE, FAILED, PRUNED, RUNNING, TrialResult


def _result(number: int, **fields) -> TrialResult:
    values = {"status": DONE, "loss": 0.25, "score": 0.25, **fields}
    return TrialResult(number, "lightgbm", {"num_leaves": np.int64(31)}, 50, **values)


@pytest.fixture
def journal(tmp_path):
    with Journal(default_url(tmp_path / "out")) as journal:
        yield journal


def test_default_url_is_an_absolute_sqlite_file(tmp_path):
    assert default_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/journal.db"


def test_runs_round_trip(journal):
    assert journal.latest_run() is None
    first = journal.create_run({"task": "binary", "budget": 60}, "abc")
    second = journal.create_run({"task": "regression"}, "def")
    assert journal.latest_run().id == second
    run = journal.get_run(first)
    assert (run.status, run.fingerprint, run.settings) == (
        "running",
        "abc",
        {"task": "binary", "budget": 60},
    )
    assert run.finished_at is None and run.summary == {}
    journal.finish_run(first, {"best": {"family": "glm"}})
    run = journal.get_run(first)
    assert run.status == "finished" and run.summary == {"best": {"family": "glm"}}
    assert run.finished_at >= run.created_at
    with pytest.raises(ConfigError, match="run 99 is not in the journal"):
        journal.get_run(99)


def test_trials_round_trip_with_oof(journal):
    run_id = journal.create_run({}, "fp")
    oof = np.random.default_rng(0).random((100, 3))
    oof[::7] = np.nan
    journal.record_trial(
        run_id,
        _result(
            0, fold_losses=[0.2, 0.3], metrics={"auc": 0.9}, fit_time=1.5, wall_time=2.0, oof=oof
        ),
    )
    [trial] = journal.trials(run_id)
    assert trial.oof is None
    assert (trial.number, trial.family, trial.config, trial.fidelity) == (
        0,
        "lightgbm",
        {"num_leaves": 31},
        50,
    )
    assert (trial.status, trial.loss, trial.fold_losses, trial.metrics) == (
        DONE,
        0.25,
        [0.2, 0.3],
        {"auc": 0.9},
    )
    assert trial.fit_time == 1.5 and trial.wall_time == 2.0
    assert (trial.finished_at - trial.started_at).total_seconds() == pytest.approx(2.0)
    [trial] = journal.trials(run_id, with_oof=True)
    np.testing.assert_array_equal(trial.oof, oof)


def test_recording_a_number_again_updates_that_trial(journal):
    run_id = journal.create_run({}, "fp")
    journal.record_trial(run_id, _result(0, status=RUNNING, loss=None, score=None))
    started = journal.trials(run_id)[0].started_at
    journal.record_trial(run_id, _result(0, oof=np.zeros(5)))
    [trial] = journal.trials(run_id, with_oof=True)
    assert trial.status == DONE and trial.started_at == started and trial.oof.shape == (5,)
    journal.record_trial(run_id, _result(0, status=FAILED, error="boom"))
    assert journal.trials(run_id, with_oof=True)[0].oof is None


def test_numbering_is_sequential_per_run(journal):
    run_a, run_b = journal.create_run({}, "a"), journal.create_run({}, "b")
    assert journal.next_number(run_a) == 0
    for number in (2, 0, 1):
        journal.record_trial(run_a, _result(number))
    journal.record_trial(run_b, _result(0))
    assert [t.number for t in journal.trials(run_a)] == [0, 1, 2]
    assert journal.next_number(run_a) == 3 and journal.next_number(run_b) == 1


def test_unicode_error_text_is_kept(journal):
    run_id = journal.create_run({"note": "données"}, "fp")
    error = "ValueError: colonne « prix » invalide — 价格 ✗"
    journal.record_trial(run_id, _result(0, status=FAILED, loss=None, score=None, error=error))
    assert journal.trials(run_id)[0].error == error
    assert journal.get_run(run_id).settings == {"note": "données"}


def test_a_committed_trial_is_visible_to_another_journal_at_once(tmp_path):
    url = default_url(tmp_path)
    with Journal(url) as writer, Journal(url) as reader:
        run_id = writer.create_run({}, "fp")
        assert reader.trials(run_id) == []
        writer.record_trial(run_id, _result(0))
        assert [t.number for t in reader.trials(run_id)] == [0]


def test_a_killed_writer_leaves_its_committed_trials(tmp_path):
    url = default_url(tmp_path)
    script = Path(__file__).with_name("_killed_writer.py")
    with subprocess.Popen(
        [sys.executable, str(script), url], stdout=subprocess.PIPE, text=True
    ) as proc:
        run_id = int(proc.stdout.readline())
        proc.send_signal(signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(tmp_path / "journal.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Journal(url) as journal:
        assert [t.number for t in journal.trials(run_id)] == [0, 1, 2]
        journal.record_trial(run_id, _result(3))
        assert journal.next_number(run_id) == 4


def test_curves_and_pruned_steps_round_trip_and_old_journals_gain_the_table(tmp_path):
    url = default_url(tmp_path)
    with Journal(url) as journal:
        run_id = journal.create_run({}, "fp")
        journal.record_trial(run_id, _result(0, curve={1: 0.9, 2: 0.7, 4: 0.5}))
        journal.record_trial(run_id, _result(1, status=PRUNED, curve={1: 1.2}, pruned_step=1))
        journal.record_trial(run_id, _result(2))
    with sqlite3.connect(tmp_path / "journal.db") as connection:  # as before the curves table
        connection.execute("DROP TABLE curves")
    with Journal(url) as journal:
        assert [t.curve for t in journal.trials(run_id)] == [{}, {}, {}]
        journal.record_trial(run_id, _result(1, status=PRUNED, curve={1: 1.2}, pruned_step=1))
        journal.record_trial(run_id, _result(0, curve={2: 0.6}))
        trials = journal.trials(run_id, with_oof=True)
        assert [(t.curve, t.pruned_step) for t in trials] == [
            ({2: 0.6}, None),
            ({1: 1.2}, 1),
            ({}, None),
        ]
        journal.record_trial(run_id, _result(0))  # recorded again without a curve
        assert journal.trials(run_id)[0].curve == {}


def test_sample_sizes_round_trip_and_old_journals_gain_the_column(tmp_path):
    url = default_url(tmp_path)
    with Journal(url) as journal:
        run_id = journal.create_run({}, "fp")
        journal.record_trial(run_id, _result(0))
    with sqlite3.connect(tmp_path / "journal.db") as connection:  # as before sample sizes
        connection.execute("ALTER TABLE trials DROP COLUMN sample_size")
    with Journal(url) as journal:
        journal.record_trial(run_id, _result(1, sample_size=10_000))
        assert [t.sample_size for t in journal.trials(run_id)] == [None, 10_000]
    with Journal(url) as journal:  # opening an up-to-date journal changes nothing
        assert [t.sample_size for t in journal.trials(run_id, with_oof=True)] == [None, 10_000]

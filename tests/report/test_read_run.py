"""read_run, ``fitfinder leaderboard`` and ``fitfinder info`` on a run that is going, was
killed, or finished."""

import json

import pytest
from _live_run import kill, start_fit, wait_for_trials

from fitfinder import read_run
from fitfinder.cli import main
from fitfinder.errors import ConfigError


def test_a_run_is_read_while_running_after_a_kill_and_when_finished(tmp_path, capsys):
    out = tmp_path / "run"
    process = start_fit(out, budget=120)
    try:
        view = wait_for_trials(out, 2)
        assert view.state == "running" and view.model_dir is None
        assert main(["leaderboard", str(out)]) == 0
        assert capsys.readouterr().out.startswith(f"run {view.run.id} running: ")
    finally:
        kill(process)
    killed = read_run(out / "journal.db")
    assert killed.state == "killed" and len(killed.trials) >= 2
    assert main(["leaderboard", f"sqlite:///{out / 'journal.db'}", "--json"]) == 0
    captured = capsys.readouterr()
    assert " killed: " in captured.err
    assert json.loads(captured.out)[0]["rank"] == 1
    assert main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["state"] == "killed" and info["trials"] == len(killed.trials)
    assert info["best_score"] == killed.best().score

    finished = tmp_path / "finished"
    done = start_fit(finished, budget=10)
    assert done.wait(timeout=120) == 0, done.stderr.read()
    view = read_run(finished)
    assert view.state == "finished" and view.model_dir == finished.resolve()
    assert main(["info", str(finished), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "finished"


def test_a_place_without_a_journal_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(ConfigError, match="no journal at"):
        read_run(tmp_path)
    assert main(["leaderboard", str(tmp_path / "nothing.db")]) == 2
    assert "no journal at" in capsys.readouterr().err

"""Temporary files: a fit removes its own when done or at exit, and the next start removes
those of a killed process."""

import gc
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
from _processes import survivors

from fitfinder import tempfiles

API_FIT = Path(__file__).with_name("_api_fit.py")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not psutil.pid_exists(proc.pid)
    return proc.pid


def _folders_of(pid: int) -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob(f"fitfinder-{pid}-*"))


def test_only_folders_of_dead_processes_are_removed(tmp_path):
    dead, live = _dead_pid(), os.getppid()
    names = [
        f"fitfinder-{dead}-data-a1",
        f"fitfinder-{dead}-journal-b2",
        f"fitfinder-{os.getpid()}-data-c3",
        f"fitfinder-{live}-journal-d4",
        "fitfinder-portfolio",
        "fitfinder-abc123xy",
    ]
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "data.pkl").write_bytes(b"x")
    (tmp_path / f"fitfinder-{dead}-data-file").write_bytes(b"not a folder")
    removed = tempfiles.clean_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted(names[:2])
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*names[2:], f"fitfinder-{dead}-data-file"])


def test_a_fit_removes_its_data_file_at_once_and_its_journal_with_the_object():
    from sklearn.datasets import load_wine

    from fitfinder import AutoML

    earlier = set(_folders_of(os.getpid()))  # of objects other tests keep alive
    automl = AutoML(time_budget=None, max_trials=1, verbose=0, estimators=["glm"])
    automl.fit(load_wine(as_frame=True).frame, target="target")
    folders = sorted(set(_folders_of(os.getpid())) - earlier)
    assert [p.name.split("-")[2] for p in folders] == ["journal"]  # the data file is gone
    assert Path(automl.journal_path_).parent == folders[0]
    assert len(automl.leaderboard()) >= 1  # the journal serves the object while it lives
    del automl
    gc.collect()
    assert not folders[0].exists()


def test_a_process_that_exits_leaves_nothing():
    run = subprocess.run(
        [sys.executable, str(API_FIT)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    pid = int(run.stdout.split()[0])
    assert "fitted" in run.stdout
    assert _folders_of(pid) == []


def test_the_files_of_a_killed_fit_are_removed_at_the_next_start():
    with subprocess.Popen(
        [sys.executable, str(API_FIT), "hang"], stdout=subprocess.PIPE, text=True
    ) as proc:
        pid = int(proc.stdout.readline())
        assert proc.stdout.readline().startswith("fitted")
        proc.send_signal(signal.SIGKILL)
    assert [p.name.split("-")[2] for p in _folders_of(pid)] == ["journal"]
    folder = tempfiles.make_dir("data")  # what a Runner or a fit does first
    try:
        assert _folders_of(pid) == []
    finally:
        tempfiles.remove(folder)


def test_the_data_file_of_a_killed_runner_is_removed_at_the_next_start():
    script = Path(__file__).parent / "trials" / "_orphaned_runner.py"
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().strip() == "ok"  # its workers are running
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
    assert survivors(workers, timeout=5) == []
    (left,) = _folders_of(proc.pid)
    assert (left / "data.pkl").is_file()
    folder = tempfiles.make_dir("data")
    try:
        assert _folders_of(proc.pid) == []
    finally:
        tempfiles.remove(folder)

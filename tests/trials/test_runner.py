import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import _runner_jobs as jobs
import cloudpickle
import psutil
import pytest
from _processes import survivors

from fitfinder.trials import DONE, TIMED_OUT, Runner, TrialSpec, evaluate

cloudpickle.register_pickle_by_value(jobs)


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()}


@pytest.fixture(scope="module")
def runner():
    with Runner({"rows": 3}, memory_limit_mb=500, preload=()) as r:
        yield r


def test_result_comes_back_from_a_warm_worker(runner):
    status, first = runner.call(jobs.echo, "a", timeout=30)
    assert status == "ok"
    assert first["data"] == {"rows": 3} and first["spec"] == "a"
    assert first["pid"] != os.getpid()
    _, second = runner.call(jobs.echo, "b", timeout=30)
    assert second["pid"] == first["pid"]


def test_exception_fails_the_job_but_keeps_the_worker(runner):
    _, before = runner.call(jobs.echo, None, timeout=30)
    assert runner.call(jobs.fail, 7, timeout=30) == ("failed", "ValueError: bad spec 7")
    _, after = runner.call(jobs.echo, None, timeout=30)
    assert after["pid"] == before["pid"]


def test_hanging_job_times_out_and_the_next_job_runs(runner):
    started = time.monotonic()
    status, message = runner.call(jobs.hang, None, timeout=1)
    assert (status, message) == ("timed_out", "timed out after 1 s")
    assert time.monotonic() - started < 5
    status, result = runner.call(jobs.echo, None, timeout=30)
    assert status == "ok"
    assert psutil.pid_exists(result["pid"])


def test_timeout_kills_grandchildren_too(runner):
    _, before = runner.call(jobs.echo, None, timeout=30)
    assert runner.call(jobs.spawn_sleeper, None, timeout=1.5)[0] == "timed_out"
    assert not any("sleep" in psutil.Process(pid).name() for pid in _children())
    assert not psutil.pid_exists(before["pid"])


def test_segfault_reports_the_signal(runner):
    assert runner.call(jobs.segfault, None, timeout=30) == ("failed", "worker died (signal 11)")
    assert runner.call(jobs.echo, None, timeout=30)[0] == "ok"


def test_memory_limit_kills_the_worker(runner):
    status, message = runner.call(jobs.hog_memory, None, timeout=30)
    assert (status, message) == ("failed", "killed: memory above 500 MB")
    assert runner.call(jobs.echo, None, timeout=30)[0] == "ok"


def test_run_evaluates_a_trial_in_a_preloaded_worker(make_trial_data):
    data = make_trial_data("wine")
    spec = TrialSpec(number=3, family="glm", config={"C": 1.0, "penalty": "l2", "l1_ratio": 0.5})
    with Runner(data) as runner:
        assert runner.call(jobs.loaded, ["lightgbm", "xgboost", "sklearn.ensemble"], 60) == (
            "ok",
            [True, True, True],
        )
        result = runner.run(spec)
        assert result.status == DONE
        assert result.loss == pytest.approx(evaluate(data, spec).loss)
        assert result.oof.shape == (178, 3)
        cut = runner.run(dataclasses.replace(spec, number=4, timeout=0.001))
    assert (cut.number, cut.status, cut.error) == (4, TIMED_OUT, "timed out after 0.001 s")
    assert cut.wall_time < 1


def test_close_leaves_no_process_and_waiting_for_boot_is_not_timeout():
    before = _children()
    runner = Runner(None, n_workers=2, preload=()).start()
    status, _ = runner.call(jobs.echo, None, timeout=0.5)  # boot (seconds) is not counted
    assert status == "ok"
    assert len(_children() - before) >= 2
    runner.close()
    assert _children() <= before
    with pytest.raises(RuntimeError, match="closed"):
        runner.call(jobs.echo, None, timeout=1)


def test_two_threads_use_two_workers():
    from concurrent.futures import ThreadPoolExecutor

    with Runner(None, n_workers=2, preload=()) as runner, ThreadPoolExecutor(2) as pool:
        runner.call(jobs.echo, None, timeout=60)
        started = time.monotonic()
        statuses = list(pool.map(lambda _: runner.call(jobs.hang, None, timeout=1.5)[0], [0, 1]))
        assert statuses == ["timed_out", "timed_out"]
        assert time.monotonic() - started < 2.9


def test_workers_exit_when_their_parent_is_killed():
    script = Path(__file__).with_name("_orphaned_runner.py")
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().strip() == "ok"
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) >= 2
        proc.send_signal(signal.SIGKILL)
    assert survivors(workers, timeout=3) == []


def test_a_deadline_counts_the_wait_for_a_booting_worker():
    with Runner(None, n_workers=1, preload=()) as runner:  # booting takes over a second
        started = time.monotonic()
        status, message = runner.call(jobs.hang, None, timeout=60, deadline=started + 0.2)
        assert status == "timed_out"
        assert time.monotonic() - started < 10  # not the 60 s timeout
        assert runner.call(jobs.echo, None, timeout=60)[0] == "ok"  # the worker is still usable

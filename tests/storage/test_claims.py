"""One live writer per journal: a trial is journaled as running before it starts, a second
writer is refused in one line, and a writer killed with kill -9 neither blocks the next one
nor leaves trials that look as if they still ran."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fitfinder.errors import JournalBusyError
from fitfinder.storage import Journal, default_url
from fitfinder.trials import DONE, INTERRUPTED, RUNNING, TrialResult, TrialSpec

WRITER = Path(__file__).with_name("_claimed_writer.py")


def _start_writer(url: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, str(WRITER), url], stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def test_a_trial_is_running_with_its_pid_until_its_result_replaces_it(tmp_path):
    with Journal(default_url(tmp_path)) as journal:
        run_id = journal.create_run({}, "fp")
        journal.start_trial(run_id, TrialSpec(0, "glm", {"C": 2.0}, sample_size=50), 4321)
        (row,) = journal.trials(run_id)
        assert (row.status, row.pid, row.family, row.config) == (RUNNING, 4321, "glm", {"C": 2.0})
        assert row.loss is None and row.sample_size == 50
        assert journal.next_number(run_id) == 1  # a running trial holds its number
        journal.record_trial(run_id, TrialResult(0, "glm", {"C": 2.0}, None, DONE, loss=0.3))
        (row,) = journal.trials(run_id)
        assert (row.status, row.loss, row.pid) == (DONE, 0.3, 4321)
        assert row.finished_at >= row.started_at


def test_a_second_live_writer_is_refused_and_a_killed_ones_lock_is_not_stale(tmp_path):
    url = default_url(tmp_path)
    proc, run_id = _start_writer(url)
    try:
        with Journal(url) as other:
            with pytest.raises(
                JournalBusyError, match=f"another fitfinder process \\(pid {proc.pid}\\)"
            ):
                other.claim()
            # reading needs no claim
            assert [t.status for t in other.trials(run_id)] == [DONE, DONE, RUNNING]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with Journal(url) as journal:
        assert journal.claim() == [(run_id, 2)]  # the dead writer's trial in flight
        trials = journal.trials(run_id)
        assert [(t.status, t.loss) for t in trials] == [
            (DONE, 0.5),
            (DONE, 1.5),
            (INTERRUPTED, None),
        ]
        assert trials[2].pid == proc.pid and f"worker pid {proc.pid}" in trials[2].error
        assert journal.claim() == []  # held already: nothing to do


def test_release_lets_another_writer_in_which_interrupts_what_was_left_running(tmp_path):
    url = default_url(tmp_path)
    first, second = Journal(url), Journal(url)
    try:
        first.claim()
        run_id = first.create_run({}, "fp")
        first.start_trial(run_id, TrialSpec(0, "glm", {}), os.getpid())
        with pytest.raises(JournalBusyError):
            second.claim()  # within one process too
        first.release()
        assert second.claim() == [(run_id, 0)]
    finally:
        first.close()
        second.close()

"""kill -9 at seeded random times (slow; ``pytest -m slow tests/e2e/test_kill_suite.py``).

Each round starts a CLI fit in a fresh model directory, kills it (and only it: the workers are
left to die with their parent) at a random moment of its life, from start-up through the
search, the ensemble, the refit and the save, then checks that

- no worker outlives it;
- the model directory holds either a complete, loadable model or no model at all;
- ``--resume`` finishes, with every trial finished before the kill still there, same scores,
  and no trial left ``running``.

``FITFINDER_KILLS`` sets the number of rounds (default 20).
"""

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import psutil
import pytest
from _processes import survivors

from fitfinder import load

BUDGET = 15  # seconds per fit (workers take seconds to boot on a busy 2-core machine)
KILLS = int(os.environ.get("FITFINDER_KILLS", "20"))


def _rows(journal):
    if not journal.exists():
        return []
    try:
        with sqlite3.connect(journal) as db:
            return db.execute(
                "select number, family, config, status, loss, score from trials order by number"
            ).fetchall()
    except sqlite3.Error:
        return []


def _phase(out, rows) -> str:
    """Where the kill landed, as seen from what it left."""
    if (out / "model.json").exists():
        return "after save"
    if any(row[1] == "ensemble" for row in rows):
        return "ensemble, refit or save"
    return "search" if rows else "start-up"


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_nothing_and_leaves_no_half_model(tmp_path, concrete):
    train, test = concrete
    data = tmp_path / "train.csv"
    train.to_csv(data, index=False)
    rng = random.Random(24)
    phases = Counter()
    for round_ in range(KILLS):
        out = tmp_path / f"model{round_}"
        command = [
            sys.executable, "-m", "fitfinder.cli", "fit", str(data),
            "--target", "compressive_strength", "--out", str(out),
            "--seed", str(round_), "--quiet",
        ]  # fmt: skip
        process = subprocess.Popen(
            [*command, "--time-budget", str(BUDGET)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        moment = rng.uniform(1.0, BUDGET + 8.0)  # start-up takes a few seconds
        workers: set[psutil.Process] = set()
        deadline = time.monotonic() + moment
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(psutil.Error):
                workers.update(psutil.Process(process.pid).children(recursive=True))
            time.sleep(0.05)
        finished = process.poll() is not None
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert survivors(workers, timeout=5) == [], f"round {round_}: a worker outlived its parent"

        before = _rows(out / "journal.db")
        phases["finished before the kill" if finished else _phase(out, before)] += 1
        if (out / "model.json").exists():  # complete and loadable, or absent
            model = load(out)
            assert len(model.predict(test.drop(columns="compressive_strength").head(5))) == 5

        # twice the budget: on a busy machine a worker can take 10 s to boot, and a resume
        # whose search is over still needs one for the refit
        resume = [*command, "--time-budget", str(2 * BUDGET), "--resume"]
        resumed = subprocess.run(resume, capture_output=True, text=True)
        assert resumed.returncode == 0, f"round {round_}: {resumed.stderr}"
        after = {row[0]: row for row in _rows(out / "journal.db")}
        for row in before:
            if row[3] == "done":
                assert after[row[0]] == row, f"round {round_}: trial {row[0]} changed"
        assert all(row[3] != "running" for row in after.values())
        assert len(load(out).predict(test.drop(columns="compressive_strength").head(5))) == 5
    print("kills by phase:", dict(phases))
    if KILLS >= 20:  # the seeded moments cover the search and what follows it
        assert phases["search"] >= 3
        assert phases["ensemble, refit or save"] + phases["after save"] >= 1

"""A real search in a subprocess, for the tests that watch a run while it goes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fitfinder import read_run

ROOT = Path(__file__).resolve().parents[1]


def start_fit(
    out: Path, budget: float, data: str = "examples/concrete_strength.csv"
) -> subprocess.Popen:
    """``fitfinder fit`` on a bundled table in its own process group (killable as a whole)."""
    command = [sys.executable, "-m", "fitfinder.cli", "fit", str(ROOT / data)]
    target = "compressive_strength" if "concrete" in data else "Status"
    command += ["--target", target, "--time-budget", str(budget), "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(command, start_new_session=True, env=env, stderr=subprocess.PIPE)


def wait_for_trials(out: Path, count: int, timeout: float = 120.0):
    """The run in ``out`` once it has ``count`` finished trials (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (out / "journal.db").is_file():
            view = read_run(out)
            if sum(t.status != "running" for t in view.trials) >= count:
                return view
        time.sleep(0.3)
    raise AssertionError(f"the run in {out} did not reach {count} trials in {timeout} s")


def kill(process: subprocess.Popen) -> None:
    """kill -9 the fit and its workers."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

"""The first code a trial worker process runs: tie its life to its parent's, then load.

It lives outside ``fitfinder.trials`` and imports nothing heavy, so that the watch on the
parent starts a fraction of a second after the worker does: importing the trial machinery
(pandas, scikit-learn...) takes seconds on a busy machine, and a parent killed in that window
would otherwise leave the worker running until its imports end.
"""

from __future__ import annotations

import os
import signal
import threading
import time

_WATCH_SECONDS = 0.5


def main(conn, data_path: str, parent_pid: int, preload: tuple[str, ...]) -> None:
    """Entry point of a worker process (see :mod:`fitfinder.trials.runner`)."""
    os.setpgrp()  # a group of its own, so that a kill takes the trial's children too
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    from fitfinder.trials.runner import _worker_main

    try:
        _worker_main(conn, data_path, preload)
    except (BrokenPipeError, EOFError):  # the parent is gone: nobody to tell
        os._exit(1)


def _watch_parent(parent_pid: int) -> None:
    """Kill this worker's process group once its parent is gone (even after kill -9).

    A thread polling ``getppid`` rather than Linux's ``prctl(PR_SET_PDEATHSIG)``: the death
    signal fires when the *thread* that started the child ends, not its process, and workers
    are started from short-lived boot threads; and it would kill the worker alone, leaving the
    trial's own children (joblib, subprocesses) behind, where this takes the worker's whole
    process group. It needs the GIL for a moment every 0.5 s, which native fits release."""
    while os.getppid() == parent_pid:
        time.sleep(_WATCH_SECONDS)
    os.killpg(0, signal.SIGKILL)

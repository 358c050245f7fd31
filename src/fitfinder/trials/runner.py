"""Warm, isolated worker processes with time and memory limits.

A worker imports the heavy libraries once, loads the data once, then runs jobs
``fn(data, spec)`` for as long as it lives. A worker is replaced only when it dies (crash)
or is killed (timeout, memory); the replacement boots in the background. Workers lead their
own process group, so a kill takes their children too, and they exit by themselves when the
parent process disappears. POSIX only (process groups, SIGKILL).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from multiprocessing import util as mp_util
from typing import Any

import cloudpickle
import psutil

from fitfinder import tempfiles, worker_boot
from fitfinder.trials.evaluate import evaluate
from fitfinder.trials.spec import FAILED, TIMED_OUT, TrialResult, TrialSpec, error_line

#: Modules a worker imports once at start-up, so trials do not pay for them.
PRELOAD = (
    "numpy",
    "pandas",
    "sklearn.pipeline",
    "sklearn.compose",
    "sklearn.preprocessing",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "lightgbm",
    "xgboost",
    "fitfinder.estimators",
    "fitfinder.features",
)
OK = "ok"
_POLL_SECONDS = 0.1
_STOP = b""


# ---------------------------------------------------------------------------- worker side
def _worker_main(conn, data_path: str, preload: tuple[str, ...]) -> None:
    """A worker's life once :func:`fitfinder.worker_boot.main` has tied it to its parent (in
    a process group of its own, killed with it)."""
    # OpenMP threads that spin while waiting make a busy 2-core machine crawl (seen: 27 s
    # instead of 2 s for one HistGradientBoosting fit); passive waiting costs nothing here.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # when memory runs out the kernel's OOM killer should take a worker, never the search
    # (Linux; raising one's own score needs no rights)
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as file:
        file.write("1000")
    for name in preload:
        with contextlib.suppress(Exception):  # a broken module fails the trial that needs it
            importlib.import_module(name)
    try:
        with open(data_path, "rb") as file:
            data = cloudpickle.load(file)
    except Exception as exc:
        _send(conn, "error", error_line(exc))
        return
    _send(conn, "ready", os.getpid())
    _serve(conn, data)


def _serve(conn, data: Any) -> None:
    while True:
        try:
            message = conn.recv_bytes()
        except EOFError:
            return
        if message == _STOP:
            return
        try:
            fn, spec = cloudpickle.loads(message)
            _send(conn, OK, fn(data, spec))
        except Exception as exc:
            _send(conn, "error", error_line(exc))


def _send(conn, kind: str, value: Any) -> None:
    try:
        payload = cloudpickle.dumps((kind, value))
    except Exception as exc:
        payload = cloudpickle.dumps(("error", f"result cannot be sent back: {error_line(exc)}"))
    conn.send_bytes(payload)


# ---------------------------------------------------------------------------- parent side
class _NoWorker(Exception):
    """No worker could be made ready."""


class _Worker:
    """The parent's handle on one worker process."""

    def __init__(self, process, conn):
        self.process = process
        self.conn = conn
        self._killed = False
        self._kill_lock = threading.Lock()

    def rss_mb(self) -> float:
        """Resident memory of the worker and its children, in MB."""
        total = 0
        for proc in _process_tree(self.process.pid):
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total / 2**20

    def exit_reason(self) -> str:
        self.process.join(timeout=1.0)
        code = self.process.exitcode
        if code is None:
            return "worker died"
        return f"worker died (signal {-code})" if code < 0 else f"worker died (exit code {code})"

    def kill(self) -> None:
        """SIGKILL the worker, its process group and any other descendant (once)."""
        with self._kill_lock:
            if self._killed:
                return
            self._killed = True
        pid = self.process.pid
        if pid is not None:
            descendants = _process_tree(pid)[1:]
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)  # fails while the worker has no group of its own yet
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            for proc in descendants:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            self.process.join(timeout=5.0)
        self.conn.close()


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_script_hidden():
    """Start a worker without re-running the user's script in it.

    A spawned process normally re-imports the parent's ``__main__`` file, which re-runs a script
    that lacks an ``if __name__ == "__main__":`` guard. Workers need nothing from it (their code
    lives in fitfinder; user callables travel by value with cloudpickle), so the file is hidden
    from multiprocessing while the worker starts.
    """
    main = sys.modules.get("__main__")
    with _MAIN_LOCK:
        path = (
            main.__dict__.pop("__file__", None)
            if main is not None and main.__spec__ is None
            else None
        )
        try:
            yield
        finally:
            if path is not None:
                main.__file__ = path


def _process_tree(pid: int | None) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except (psutil.Error, ValueError):
        return []


class _Pool:
    """The live workers and the data file; shut down by the runner or at interpreter exit."""

    def __init__(self, data_path: str):
        self.data_path = data_path
        self.workers: list[_Worker] = []
        self.closed = False
        self.lock = threading.Lock()

    def launch(self, worker: _Worker) -> bool:
        """Start ``worker`` unless the pool is shut down (so no worker outlives it)."""
        with self.lock:
            if self.closed:
                return False
            with _main_script_hidden():
                worker.process.start()
            self.workers.append(worker)
            return True

    def retire(self, worker: _Worker) -> None:
        with self.lock:
            if worker in self.workers:
                self.workers.remove(worker)
        worker.kill()

    def shutdown(self, grace: float = 0.3) -> None:
        """Ask idle workers to exit, then kill whatever is left; remove the data file."""
        with self.lock:
            self.closed, workers, self.workers = True, self.workers, []
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send_bytes(_STOP)
        deadline = time.monotonic() + grace
        for worker in workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            worker.kill()
        tempfiles.remove(os.path.dirname(self.data_path))


class Runner:
    """Runs jobs ``fn(data, spec)`` in warm worker processes, with time and memory limits.

    Use as a context manager, or call :meth:`start` early (workers boot in the background
    while the caller carries on) and :meth:`close` at the end. ``call`` is thread-safe: each
    call takes an idle worker, so ``n_workers`` threads can run jobs side by side.
    ``preload`` lists the modules each worker imports once at start-up.
    """

    def __init__(
        self,
        data: Any,
        *,
        n_workers: int = 1,
        memory_limit_mb: float | None = None,
        start_method: str = "spawn",
        start_timeout: float = 120.0,
        preload: tuple[str, ...] = PRELOAD,
    ):
        self._data = data
        self._n_workers = n_workers
        self._memory_limit_mb = memory_limit_mb
        self._context = multiprocessing.get_context(start_method)
        self._start_timeout = start_timeout
        self._preload = preload
        self._idle: queue.Queue[_Worker | str] = queue.Queue()
        self._pool: _Pool | None = None
        self._finalizer: mp_util.Finalize | None = None
        self._start_lock = threading.Lock()

    def __enter__(self) -> Runner:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> Runner:
        """Write the data once and begin booting the workers; returns at once."""
        with self._start_lock:
            if self._pool is not None:
                return self
            # in a folder named after this process, so that the next fit removes it if this
            # process is killed before it can (see fitfinder.tempfiles)
            path = str(tempfiles.make_dir("data") / "data.pkl")
            with open(path, "wb") as file:
                cloudpickle.dump(self._data, file)
            self._pool = _Pool(path)
            # runs before multiprocessing's own exit hook, which would wait on live workers
            self._finalizer = mp_util.Finalize(self, self._pool.shutdown, exitpriority=10)
            for _ in range(self._n_workers):
                self._spawn()
        return self

    def close(self) -> None:
        """Stop every worker (no process is left behind)."""
        if self._finalizer is not None:
            self._finalizer()

    def call(
        self, fn, spec: Any, timeout: float, deadline: float | None = None, on_start=None
    ) -> tuple[str, Any]:
        """Run ``fn(data, spec)`` in a worker.

        Returns ``("ok", result)``, ``("timed_out", message)`` or ``("failed", message)``.
        ``timeout`` counts from when a ready worker takes the job; ``deadline`` (a
        ``time.monotonic()`` value) cuts it earlier, waiting for a booting worker included.
        ``fn`` must be picklable (a module-level function). ``on_start(pid)`` is called as in
        :meth:`run`.
        """
        status, value, _ = self._call(fn, spec, timeout, deadline, on_start)
        return status, value

    def run(
        self,
        spec: TrialSpec,
        timeout: float | None = None,
        deadline: float | None = None,
        on_start=None,
    ) -> TrialResult:
        """Evaluate a trial in a worker; timeouts and crashes become a result, never raise.

        ``on_start(pid)``, if given, is called with the worker's pid once a worker has taken
        the trial and before it starts (the search journals the trial as running there)."""
        timeout = spec.timeout if timeout is None else timeout
        status, value, elapsed = self._call(evaluate, spec, timeout, deadline, on_start)
        if status == OK:
            return value
        return TrialResult.of_failure(spec, status, value, wall_time=elapsed)

    # -------------------------------------------------------------------- internals
    def _call(
        self, fn, spec: Any, timeout: float, deadline: float | None, on_start=None
    ) -> tuple[str, Any, float]:
        if self._pool is not None and self._pool.closed:
            raise RuntimeError("this Runner is closed; create a new one")
        self.start()
        try:
            worker = self._acquire(deadline)
        except _NoWorker as exc:
            return FAILED, str(exc), 0.0
        if worker is None:
            return TIMED_OUT, "timed out while waiting for a worker to start", 0.0
        if on_start is not None:
            try:
                on_start(worker.process.pid)
            except BaseException:
                self._idle.put(worker)
                raise
        started = time.monotonic()
        cut = started + timeout if deadline is None else min(started + timeout, deadline)
        try:
            worker.conn.send_bytes(cloudpickle.dumps((fn, spec)))
            status, value, healthy = self._wait(worker, cut, cut - started)
        except (EOFError, OSError):
            status, value, healthy = FAILED, worker.exit_reason(), False
        if healthy:
            self._idle.put(worker)
        else:
            self._replace(worker)
        return status, value, time.monotonic() - started

    def _acquire(self, deadline: float | None = None) -> _Worker | None:
        """An idle live worker, waiting up to ``start_timeout`` for one to boot; None when
        ``deadline`` comes first."""
        give_up = time.monotonic() + self._start_timeout
        while True:
            wait_until = give_up if deadline is None else min(give_up, deadline)
            try:
                item = self._idle.get(timeout=max(0.0, wait_until - time.monotonic()))
            except queue.Empty:
                if deadline is not None and deadline < give_up:
                    return None
                raise _NoWorker(f"no worker ready after {self._start_timeout:g} s") from None
            if isinstance(item, str):  # a boot failure: report it, try a fresh worker next time
                self._spawn()
                raise _NoWorker(item)
            if item.process.is_alive():
                return item
            self._replace(item)

    def _wait(self, worker: _Worker, deadline: float, timeout: float) -> tuple[str, Any, bool]:
        """Wait for the job's reply, enforcing the deadline and the memory limit."""
        limit = self._memory_limit_mb
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return TIMED_OUT, f"timed out after {timeout:.3g} s", False
            if worker.conn.poll(min(remaining, _POLL_SECONDS)):
                kind, value = cloudpickle.loads(worker.conn.recv_bytes())
                return (OK if kind == OK else FAILED), value, True
            if limit is not None and worker.rss_mb() > limit:
                return FAILED, f"killed: memory above {limit:g} MB", False
            if not worker.process.is_alive():
                return FAILED, worker.exit_reason(), False

    def _replace(self, worker: _Worker) -> None:
        self._pool.retire(worker)
        self._spawn()

    def _spawn(self) -> None:
        parent_conn, child_conn = self._context.Pipe()
        process = self._context.Process(
            target=worker_boot.main,
            args=(child_conn, self._pool.data_path, os.getpid(), self._preload),
            name="fitfinder-worker",
        )
        worker = _Worker(process, parent_conn)
        threading.Thread(target=self._boot, args=(worker, child_conn), daemon=True).start()

    def _boot(self, worker: _Worker, child_conn) -> None:
        """Start a worker and wait for it to load; queue it, or queue the reason it failed."""
        try:
            launched = self._pool.launch(worker)
        except Exception as exc:
            self._idle.put(f"worker failed to start: {error_line(exc)}")
            return
        finally:
            child_conn.close()  # the parent keeps only its end, so a dead worker reads as EOF
        if not launched:
            worker.conn.close()
            return
        try:
            answered = worker.conn.poll(self._start_timeout)
            no_answer = ("error", f"no answer after {self._start_timeout:g} s")
            kind, value = cloudpickle.loads(worker.conn.recv_bytes()) if answered else no_answer
        except (EOFError, OSError):
            kind, value = "error", worker.exit_reason()
        if kind == "ready":
            self._idle.put(worker)
            return
        self._pool.retire(worker)
        self._idle.put(f"worker failed to start: {value}")

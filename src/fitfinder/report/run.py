"""Any run, at any time: what the journal says of a run that is going, was killed or finished.

A run is *running* while the process that claimed its journal is alive (the pid in
``<database>.lock``, see :mod:`fitfinder.storage.journal`; for a database without a lock file,
a ``running`` trial whose worker is alive on this machine), *finished* when its model directory
holds ``model.json`` (or the journal marks the run finished), and *killed* otherwise: rows left
``running`` or ``interrupted`` with no live writer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psutil
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from fitfinder.errors import ConfigError
from fitfinder.modeldir import MODEL_FILE
from fitfinder.report.leaderboard import leaderboard
from fitfinder.storage import Journal, RunRecord, TrialRecord
from fitfinder.trials.spec import DONE, RUNNING

JOURNAL_NAME = "journal.db"
RUNNING_STATE, KILLED, FINISHED = "running", "killed", "finished"


@dataclass
class RunView:
    """One run of a journal as read at ``read_at``: its record, trials and state."""

    url: str
    run: RunRecord
    trials: list[TrialRecord]
    state: str  # running / killed / finished
    model_dir: Path | None  # the folder holding model.json, when the run saved one
    read_at: datetime

    @property
    def metric(self) -> str:
        return self.run.settings.get("metric", "score")

    @property
    def budget(self) -> float | None:
        return self.run.settings.get("time_budget")

    def elapsed(self) -> float:
        """Seconds from the run's start to its end (or to now while it runs)."""
        end = self.run.finished_at if self.state == FINISHED and self.run.finished_at else None
        return ((end or self.read_at) - self.run.created_at).total_seconds()

    def leaderboard(self) -> pd.DataFrame:
        return leaderboard(self.trials, self.metric)

    def counts(self) -> dict[str, int]:
        """Trials per status."""
        counts: dict[str, int] = {}
        for trial in self.trials:
            counts[trial.status] = counts.get(trial.status, 0) + 1
        return counts

    def best(self) -> TrialRecord | None:
        done = [t for t in self.trials if t.status == DONE and t.loss is not None]
        return min(done, key=lambda t: (t.loss, t.number)) if done else None

    def summary(self) -> dict:
        """What ``fitfinder info`` says of a run: state, settings, progress and best trial."""
        best = self.best()
        return {
            "state": self.state,
            "journal": self.url,
            "run_id": self.run.id,
            "started": self.run.created_at.isoformat(timespec="seconds"),
            "elapsed_s": round(self.elapsed(), 1),
            "time_budget": self.budget,
            "task": self.run.settings.get("task"),
            "metric": self.metric,
            "rows": self.run.settings.get("n_rows"),
            "trials": len(self.trials),
            "by_status": self.counts(),
            "best_trial": None if best is None else best.number,
            "best_family": None if best is None else best.family,
            "best_score": None if best is None else best.score,
        }


def read_run(source: str | os.PathLike, run_id: int | None = None) -> RunView:
    """The run (the latest, or ``run_id``) journaled at ``source``: a model directory holding
    ``journal.db``, a journal file or a database URL; works while the run goes on."""
    url, folder = locate(source)
    with Journal(url) as journal:
        run = journal.latest_run() if run_id is None else journal.get_run(run_id)
        if run is None:
            raise ConfigError(f"{source}: the journal holds no run yet; start a fit first")
        trials = journal.trials(run.id)
    read_at = datetime.now(UTC)
    model_dir = folder if folder is not None and (folder / MODEL_FILE).is_file() else None
    return RunView(url, run, trials, _state(url, run, trials, model_dir), model_dir, read_at)


def locate(source: str | os.PathLike) -> tuple[str, Path | None]:
    """The journal URL behind ``source`` and the folder that may hold its model; ConfigError
    when there is no journal there."""
    text = str(source)
    if "://" in text:
        try:
            parsed = make_url(text)
        except ArgumentError:
            raise ConfigError(
                f"{text} is not a database URL; give e.g. sqlite:////abs/j.db"
            ) from None
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            return text, None
        path = Path(parsed.database)
    else:
        path = Path(text)
        path = path / JOURNAL_NAME if path.is_dir() else path
    if not path.is_file():
        raise ConfigError(
            f"no journal at {text}; give a model directory holding {JOURNAL_NAME} (fit --out), "
            "a journal file or a database URL"
        )
    return f"sqlite:///{path.resolve()}", path.resolve().parent


def _state(url: str, run: RunRecord, trials: list[TrialRecord], model_dir: Path | None) -> str:
    if _writer_alive(url, trials) and run.status == RUNNING:
        return RUNNING_STATE
    if model_dir is not None or run.status == FINISHED:
        return FINISHED
    return KILLED


def _writer_alive(url: str, trials: list[TrialRecord]) -> bool:
    """Whether the process writing the journal is alive: the pid its claim wrote in the lock
    file (emptied on release), else a running trial's worker on this machine."""
    database = make_url(url).database
    lock = Path(f"{database}.lock") if database else None
    if lock is not None and lock.is_file():
        text = lock.read_text().strip()
        return text.isdigit() and _alive(int(text))
    return any(t.status == RUNNING and t.pid and _alive(t.pid) for t in trials)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False

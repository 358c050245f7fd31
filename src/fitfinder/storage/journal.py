"""The journal: every run and trial, committed as it happens (SQLite by default, or PostgreSQL).

JSON fields are stored as text and arrays as compressed ``.npy`` bytes, so the schema is the
same on every SQLAlchemy dialect. Times are stored as naive UTC and returned timezone-aware.

A trial is written twice: as ``running`` (with its worker's pid) when a worker takes it, and
with its result when it ends, so a run killed mid-trial (or a trial that takes the machine
down) leaves a row saying what was in flight. The process that writes a run first claims the
journal (:meth:`Journal.claim`): an exclusive ``fcntl`` lock on ``<database>.lock``, held for
as long as it writes. The kernel drops the lock when its holder dies (kill -9 included), so a
stale lock never blocks a resume, while a second live writer is refused in one line
(:class:`~fitfinder.errors.JournalBusyError`). Under a claim no other writer is alive, so the
claim marks every ``running`` row ``interrupted``: it will never finish. Such trials are kept,
with the reason, and not run again: a trial that killed its run (a machine-wide out of memory,
say) would kill the resumed run too. PostgreSQL journals are not locked.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    make_url,
    null,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from fitfinder.errors import ConfigError, JournalBusyError
from fitfinder.trials.spec import INTERRUPTED, RUNNING

_SQLITE_BUSY_TIMEOUT_MS = 30_000


class _Base(DeclarativeBase):
    pass


class _Run(_Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(128))
    settings: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)


class _Trial(_Base):
    __tablename__ = "trials"
    __table_args__ = (UniqueConstraint("run_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    family: Mapped[str] = mapped_column(String(64))
    config: Mapped[str] = mapped_column(Text)
    fidelity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    loss: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    fold_losses: Mapped[str] = mapped_column(Text)
    metrics: Mapped[str] = mapped_column(Text)
    fit_time: Mapped[float] = mapped_column(Float)
    predict_time: Mapped[float] = mapped_column(Float)
    wall_time: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    sample_size: Mapped[int | None] = mapped_column(Integer)  # training rows per fold fit
    pid: Mapped[int | None] = mapped_column(Integer)  # the worker that ran it (when known)


class _Prediction(_Base):
    __tablename__ = "predictions"

    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class _Curve(_Base):
    """A trial's learning curve (``[[step, loss], ...]``) and, if pruned, where it stopped."""

    __tablename__ = "curves"

    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"), primary_key=True)
    points: Mapped[str] = mapped_column(Text)
    pruned_step: Mapped[int | None] = mapped_column(Integer)


@dataclass
class RunRecord:
    id: int
    created_at: datetime
    finished_at: datetime | None
    status: str
    fingerprint: str
    settings: dict
    summary: dict


@dataclass
class TrialRecord:
    id: int
    run_id: int
    number: int
    family: str
    config: dict
    fidelity: int | None
    status: str
    loss: float | None
    score: float | None
    fold_losses: list[float]
    metrics: dict
    fit_time: float
    predict_time: float
    wall_time: float
    error: str | None
    started_at: datetime
    finished_at: datetime
    oof: np.ndarray | None = None
    curve: dict[int, float] = field(default_factory=dict)  # step -> validation loss
    pruned_step: int | None = None
    sample_size: int | None = None  # training rows per fold fit (None: all)
    pid: int | None = None  # the worker process that ran it (when known)


class Journal:
    """Runs and trials in a database at ``url`` (e.g. ``sqlite:////abs/path/journal.db``)."""

    def __init__(self, url: str):
        self.url = url
        self._engine = _make_engine(url)
        _Base.metadata.create_all(self._engine)  # older journals gain new tables...
        _add_new_columns(self._engine)  # ...and new (nullable) columns
        self._session = sessionmaker(self._engine, expire_on_commit=False)
        self._lock_file = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.release()
        self._engine.dispose()

    def claim(self) -> list[tuple[int, int]]:
        """Become the journal's only writer, or raise :class:`JournalBusyError` when another
        live process is writing it (SQLite files only; a no-op elsewhere or if held already).

        No other writer being alive, every ``running`` trial left in the journal is marked
        ``interrupted``; returns their ``(run id, number)``."""
        path = _sqlite_file(self.url)
        if path is None or self._lock_file is not None:
            return []
        import fcntl

        lock = open(f"{path}.lock", "a+")  # noqa: SIM115 -- held open while the claim lasts
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            owner = lock.read().strip() or "unknown"
            lock.close()
            raise JournalBusyError(
                f"the journal {path} is being written by another fitfinder process (pid "
                f"{owner}); wait for it to finish, stop it, or use another --out / storage"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock_file = lock
        return self._interrupt_running()

    def release(self) -> None:
        """Give up the claim (the lock file stays; only the lock on it matters)."""
        lock, self._lock_file = self._lock_file, None
        if lock is not None:
            with contextlib.suppress(OSError):
                lock.truncate(0)
            lock.close()

    def _interrupt_running(self) -> list[tuple[int, int]]:
        """Mark every ``running`` trial ``interrupted`` (under a claim: their writer is dead)."""
        with self._session.begin() as session:
            rows = session.scalars(select(_Trial).where(_Trial.status == RUNNING)).all()
            for row in rows:
                worker = f"worker pid {row.pid}" if row.pid else "its worker"
                row.status = INTERRUPTED
                row.error = f"interrupted: the run stopped while {worker} ran this trial"
            return [(row.run_id, row.number) for row in rows]

    def start_trial(self, run_id: int, spec: Any, pid: int | None) -> None:
        """Record that trial ``spec.number`` (family, config) is running in process ``pid``."""
        now = _now()
        with self._session.begin() as session:
            row = session.scalars(
                select(_Trial).where(_Trial.run_id == run_id, _Trial.number == spec.number)
            ).first()
            if row is None:
                row = _Trial(run_id=run_id, number=spec.number)
                session.add(row)
            row.family, row.config = spec.family, _dumps(spec.config)
            row.fidelity, row.status, row.loss, row.score = spec.fidelity, RUNNING, None, None
            row.fold_losses, row.metrics, row.error = "[]", "{}", None
            row.fit_time = row.predict_time = row.wall_time = 0.0
            row.started_at = row.finished_at = now  # finished_at: set again when it ends
            row.sample_size, row.pid = getattr(spec, "sample_size", None), pid

    def create_run(self, settings: dict, fingerprint: str) -> int:
        """Start a run; returns its id."""
        row = _Run(
            created_at=_now(),
            status="running",
            fingerprint=fingerprint,
            settings=_dumps(settings),
            summary="{}",
        )
        with self._session.begin() as session:
            session.add(row)
        return row.id

    def latest_run(self) -> RunRecord | None:
        with self._session() as session:
            row = session.scalars(select(_Run).order_by(_Run.id.desc()).limit(1)).first()
            return None if row is None else _run_record(row)

    def get_run(self, run_id: int) -> RunRecord:
        with self._session() as session:
            return _run_record(self._run_row(session, run_id))

    def finish_run(self, run_id: int, summary: dict, status: str = "finished") -> None:
        with self._session.begin() as session:
            row = self._run_row(session, run_id)
            row.finished_at, row.status, row.summary = _now(), status, _dumps(summary)

    def record_trial(self, run_id: int, result: Any) -> None:
        """Commit a TrialResult at once; recording the same number again updates that trial."""
        finished = _now()
        with self._session.begin() as session:
            row = session.scalars(
                select(_Trial).where(_Trial.run_id == run_id, _Trial.number == result.number)
            ).first()
            if row is None:
                started = finished - timedelta(seconds=result.wall_time)
                row = _Trial(run_id=run_id, number=result.number, started_at=started)
                session.add(row)
            _fill_trial(row, result, finished)
            session.flush()  # assigns row.id
            prediction = session.get(_Prediction, row.id)
            if result.oof is None and prediction is not None:
                session.delete(prediction)
            elif result.oof is not None:
                session.merge(_Prediction(trial_id=row.id, data=_pack(result.oof)))
            _store_curve(session, row.id, result)

    def trials(self, run_id: int, with_oof: bool = False) -> list[TrialRecord]:
        """The run's trials ordered by number, with their validation predictions if asked."""
        query = select(_Trial, _Prediction.data if with_oof else null(), _Curve)
        if with_oof:
            query = query.outerjoin(_Prediction, _Prediction.trial_id == _Trial.id)
        query = query.outerjoin(_Curve, _Curve.trial_id == _Trial.id)
        query = query.where(_Trial.run_id == run_id).order_by(_Trial.number)
        with self._session() as session:
            return [_trial_record(*row) for row in session.execute(query)]

    def predictions(self, run_id: int, numbers: list[int]) -> dict[int, np.ndarray]:
        """Validation predictions of the given trials (those that have them), by trial number."""
        query = (
            select(_Trial.number, _Prediction.data)
            .join(_Prediction, _Prediction.trial_id == _Trial.id)
            .where(_Trial.run_id == run_id, _Trial.number.in_(numbers))
        )
        with self._session() as session:
            return {number: _unpack(data) for number, data in session.execute(query)}

    def next_number(self, run_id: int) -> int:
        """The number the run's next trial should take (one past the highest recorded)."""
        with self._session() as session:
            highest = session.scalar(select(func.max(_Trial.number)).where(_Trial.run_id == run_id))
        return 0 if highest is None else highest + 1

    def _run_row(self, session: Session, run_id: int) -> _Run:
        row = session.get(_Run, run_id)
        if row is None:
            raise ConfigError(f"run {run_id} is not in the journal {self.url}; check the run id")
        return row


def default_url(out_dir: str | Path) -> str:
    """The SQLite journal inside an output directory."""
    return f"sqlite:///{Path(out_dir).resolve() / 'journal.db'}"


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return str(Path(parsed.database).resolve())


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _add_new_columns(engine: Engine) -> None:
    """Add the columns a journal written by an older version lacks (all nullable)."""
    inspector = inspect(engine)
    with engine.begin() as connection:
        for table in _Base.metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(engine.dialect)
                    connection.execute(
                        text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")
                    )


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _fill_trial(row: _Trial, result: Any, finished: datetime) -> None:
    row.family, row.config, row.fidelity = result.family, _dumps(result.config), result.fidelity
    row.status, row.loss, row.score = result.status, _float(result.loss), _float(result.score)
    row.fold_losses, row.metrics = _dumps(list(result.fold_losses)), _dumps(result.metrics)
    row.fit_time, row.predict_time = float(result.fit_time), float(result.predict_time)
    row.wall_time, row.error, row.finished_at = float(result.wall_time), result.error, finished
    row.sample_size = result.sample_size


def _store_curve(session: Session, trial_id: int, result: Any) -> None:
    """Write the trial's curve and pruned step, or drop a stale one when it has none."""
    if result.curve:
        points = _dumps(sorted(result.curve.items()))
        session.merge(_Curve(trial_id=trial_id, points=points, pruned_step=result.pruned_step))
    elif (stale := session.get(_Curve, trial_id)) is not None:
        session.delete(stale)


def _run_record(row: _Run) -> RunRecord:
    return RunRecord(
        id=row.id,
        created_at=_utc(row.created_at),
        finished_at=_utc(row.finished_at),
        status=row.status,
        fingerprint=row.fingerprint,
        settings=json.loads(row.settings),
        summary=json.loads(row.summary),
    )


def _trial_record(row: _Trial, data: bytes | None, curve: _Curve | None) -> TrialRecord:
    return TrialRecord(
        id=row.id,
        run_id=row.run_id,
        number=row.number,
        family=row.family,
        config=json.loads(row.config),
        fidelity=row.fidelity,
        status=row.status,
        loss=row.loss,
        score=row.score,
        fold_losses=json.loads(row.fold_losses),
        metrics=json.loads(row.metrics),
        fit_time=row.fit_time,
        predict_time=row.predict_time,
        wall_time=row.wall_time,
        error=row.error,
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at),
        oof=None if data is None else _unpack(data),
        curve={} if curve is None else {step: loss for step, loss in json.loads(curve.points)},
        pruned_step=None if curve is None else curve.pruned_step,
        sample_size=row.sample_size,
        pid=row.pid,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default)


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays as plain Python; anything else as its text."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return str(value)


def _pack(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return zlib.compress(buffer.getvalue())


def _unpack(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(zlib.decompress(data)), allow_pickle=False)

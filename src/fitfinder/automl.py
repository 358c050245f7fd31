"""AutoML: the scikit-learn-style estimator that wires the flow.

table -> Schema + target -> splits -> Searcher proposes -> Runner evaluates in a worker ->
Journal records -> best config refit -> FittedModel.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fitfinder.data import Schema, TargetInfo, as_frame, make_splits, prepare_target, read_table
from fitfinder.errors import ConfigError, DataError, FitfinderError, ResumeError
from fitfinder.estimators import select_families
from fitfinder.metrics import get_metric
from fitfinder.model import JOURNAL_FILE, FittedModel
from fitfinder.progress import Progress
from fitfinder.search.searcher import Proposal, Searcher
from fitfinder.search_loop import SAFETY_SECONDS, Best, SearchLoop
from fitfinder.storage import Journal, TrialRecord
from fitfinder.trials import Runner, TrialData, TrialResult, TrialSpec
from fitfinder.trials.evaluate import refit

log = logging.getLogger("fitfinder")

RESUME_KEYS = ("task", "metric", "seed", "split", "n_folds", "holdout_fraction", "estimators")


class AutoML:
    """Find the best algorithm and hyperparameters for a table within a time budget.

    Parameters mirror the CLI flags (``--time-budget`` is ``time_budget`` ...).
    """

    def __init__(
        self,
        time_budget: float | None = 60.0,
        metric: str | Callable | None = "auto",
        task: str | None = None,
        estimators: list[str] | None = None,
        max_trials: int | None = None,
        seed: int = 0,
        split: str = "auto",
        n_folds: int = 5,
        holdout_fraction: float = 0.2,
        cv_max_rows: int = 10_000,
        greater_is_better: bool | None = None,
        trial_time_limit: float | None = None,
        memory_limit_mb: float | None = None,
        n_jobs: int | None = None,
        n_concurrent_trials: int | None = None,
        storage: str | None = None,
        resume: bool = False,
        verbose: int = 1,
    ):
        self.time_budget = time_budget
        self.metric = metric
        self.task = task
        self.estimators = estimators
        self.max_trials = max_trials
        self.seed = seed
        self.split = split
        self.n_folds = n_folds
        self.holdout_fraction = holdout_fraction
        self.cv_max_rows = cv_max_rows
        self.greater_is_better = greater_is_better
        self.trial_time_limit = trial_time_limit
        self.memory_limit_mb = memory_limit_mb
        self.n_jobs = n_jobs
        self.n_concurrent_trials = n_concurrent_trials
        self.storage = storage
        self.resume = resume
        self.verbose = verbose

    # -- fit ---------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        target: str | None = None,
        sample_weight: Any = None,
        groups: Any = None,
    ) -> AutoML:
        """Search for the best model. ``X`` is a table, a path to CSV/Parquet, or an array."""
        start = time.monotonic()
        deadline = start + self.time_budget if self.time_budget else math.inf
        self._check_settings()
        frame, target_info, weight, group = self._prepare(X, y, target, sample_weight, groups)
        metric = get_metric(self.metric, target_info.task, self.greater_is_better)
        schema = Schema.infer(frame)
        features = schema.conform(frame)
        plan = make_splits(
            target_info.y,
            target_info.task,
            split=self.split,
            n_folds=self.n_folds,
            holdout_fraction=self.holdout_fraction,
            cv_max_rows=self.cv_max_rows,
            groups=group,
            seed=self.seed,
        )
        families = select_families(self.estimators, target_info.task, len(features))
        data = TrialData(
            X=features,
            y=target_info.y,
            schema=schema,
            task=target_info.task,
            metric=metric,
            folds=plan.folds,
            sample_weight=weight,
            groups=group,
            labels=target_info.labels,
            seed=self.seed,
            n_threads=self._threads(self._concurrency()),
        )
        self.schema_, self.target_info_, self.metric_, self.split_plan_ = (
            schema,
            target_info,
            metric,
            plan,
        )
        self._open_journal(data, families)
        searcher = Searcher(
            families,
            seed=self.seed,
            max_trials=self.max_trials,
            cost="trials" if self.time_budget is None else "seconds",
        )
        self._replay(searcher)
        progress = Progress(self.time_budget, metric.name, enabled=self.verbose > 0)
        self._report_data(progress, schema, target_info, plan)
        runner = Runner(data, n_workers=self._concurrency(), memory_limit_mb=self._memory_limit())
        with progress, runner:
            best = self._search(runner, searcher, deadline, progress)
            self.model_ = self._final_model(runner, data, best, deadline, progress)
        for name, reason in searcher.retired().items():
            progress.say(f"retired family {name}: {reason}")
        self.fit_time_ = time.monotonic() - start
        self.journal_.finish_run(
            self.run_id_, {"best_trial": best.result.number, "fit_time": self.fit_time_}
        )
        return self

    def _check_settings(self) -> None:
        if self.time_budget is not None and self.time_budget <= 0:
            raise ConfigError(f"time_budget must be positive seconds, got {self.time_budget}")
        if self.time_budget is None and self.max_trials is None:
            raise ConfigError("give a time_budget or max_trials (or both) so the search can end")
        if self.max_trials is not None and self.max_trials < 1:
            raise ConfigError(f"max_trials must be at least 1, got {self.max_trials}")

    def _prepare(self, X, y, target, sample_weight, groups):
        """Read the table, split off the target, drop rows whose target is missing."""
        if isinstance(X, str | os.PathLike):
            X = read_table(X)
        frame = as_frame(X)
        if y is None:
            if target is None:
                raise ConfigError("give the target: fit(X, y) or fit(table, target='column')")
            frame, y = _split_target(frame, target)
        elif len(y) != len(frame):
            raise DataError(f"X has {len(frame)} rows but y has {len(y)}; give one target per row")
        info = prepare_target(
            y if isinstance(y, pd.Series) else pd.Series(np.asarray(y)), self.task
        )
        if info.n_dropped:
            log.warning("dropped %d rows whose target is missing", info.n_dropped)
        frame = frame.loc[info.kept].reset_index(drop=True)
        weight = _per_row(sample_weight, info.kept, "sample_weight")
        group = _per_row(groups, info.kept, "groups")
        return frame, info, weight, group

    def _threads(self, concurrent: int = 1) -> int:
        """Threads per trial: ``n_jobs``, or the cores shared among concurrent trials."""
        return max(1, self.n_jobs or (os.cpu_count() or 1) // concurrent)

    def _memory_limit(self) -> float:
        if self.memory_limit_mb is not None:
            return float(self.memory_limit_mb)
        import psutil

        return 0.8 * psutil.virtual_memory().total / 2**20

    # -- journal -----------------------------------------------------------------------
    def _open_journal(self, data: TrialData, families) -> None:
        if self.storage is None:
            self._journal_dir = tempfile.mkdtemp(prefix="fitfinder-")
            url = f"sqlite:///{Path(self._journal_dir) / JOURNAL_FILE}"
        else:
            url = self.storage
        self.journal_ = Journal(url)
        self.journal_path_ = _sqlite_path(url)
        settings = self._settings(data, families)
        fingerprint = _fingerprint(data)
        previous = self.journal_.latest_run() if self.resume else None
        if previous is None:
            self.run_id_ = self.journal_.create_run(settings, fingerprint)
            return
        _check_resumable(previous, settings, fingerprint)
        self.run_id_ = previous.id

    def _settings(self, data: TrialData, families) -> dict:
        return {
            "task": data.task,
            "metric": data.metric.name,
            "seed": self.seed,
            "split": self.split_plan_.kind,
            "n_folds": len(data.folds),
            "holdout_fraction": self.holdout_fraction,
            "estimators": [f.name for f in families],
            "time_budget": self.time_budget,
            "max_trials": self.max_trials,
            "n_rows": len(data.X),
        }

    def _replay(self, searcher: Searcher) -> None:
        """Feed the finished trials of a resumed run to the searcher."""
        self._records: list[TrialRecord] = self.journal_.trials(self.run_id_)
        for record in self._records:
            loss = record.loss if record.status == "done" else None
            searcher.observe(
                Proposal(record.family, record.config, "journal"), loss, record.fit_time
            )
        if self._records:
            log.info("resuming run %d with %d finished trials", self.run_id_, len(self._records))

    # -- search ------------------------------------------------------------------------
    def _search(self, runner: Runner, searcher: Searcher, deadline: float, progress) -> Best:
        loop = SearchLoop(
            runner,
            searcher,
            self.journal_,
            self.run_id_,
            progress,
            deadline=deadline,
            refit_seconds=self._refit_estimate,
            trial_time_limit=self.trial_time_limit,
            first_number=max((r.number for r in self._records), default=-1) + 1,
            best=_best_of_records(self._records),
        )
        best = loop.run(self._concurrency())
        if best is None:
            raise FitfinderError(self._nothing_finished())
        return best

    def _concurrency(self) -> int:
        """Trials side by side: one per core, except in reproducible (trial-capped) runs."""
        if self.time_budget is None:
            return 1
        return self.n_concurrent_trials or max(1, min(os.cpu_count() or 1, 2))

    def _refit_estimate(self, result: TrialResult) -> float:
        """Expected seconds to refit ``result``'s config on all rows (a fold fit, scaled up)."""
        folds = len(self.split_plan_.folds)
        per_fold = result.fit_time / max(folds, 1)
        train_share = (
            np.mean([len(train) for train, _ in self.split_plan_.folds]) / self.split_plan_.n_rows
        )
        return 1.5 * per_fold / max(train_share, 1e-6) + 0.2

    def _nothing_finished(self) -> str:
        records = self.journal_.trials(self.run_id_)
        if not records:
            return (
                f"time budget {self.time_budget} s was too short to run a single trial; "
                "give a larger time_budget"
            )
        errors = sorted({r.error for r in records if r.error})
        return f"all {len(records)} trials failed; first errors: {'; '.join(errors[:3])}"

    # -- final model -------------------------------------------------------------------
    def _final_model(
        self, runner: Runner, data: TrialData, best: Best, deadline: float, progress
    ) -> FittedModel:
        result, needed = best.result, self._refit_estimate(best.result)
        remaining = deadline - time.monotonic() - SAFETY_SECONDS
        if best.pipeline is None:  # resumed run: no validated model in memory, refit regardless
            remaining = max(remaining, 3 * needed + 5)
        pipeline, refit_note = None, "refit on all training rows"
        if remaining >= needed:
            spec = TrialSpec(
                result.number,
                result.family,
                result.config,
                result.fidelity,
                timeout=remaining,
                n_threads=self.n_jobs or os.cpu_count(),
            )
            status, value = runner.call(refit, spec, remaining)
            pipeline = value if status == "ok" else None
            refit_note = refit_note if status == "ok" else f"refit failed ({value})"
        else:
            refit_note = (
                f"refit skipped: needs about {needed:.1f} s, {max(remaining, 0):.1f} s left"
            )
        if pipeline is None:
            if best.pipeline is None:
                raise FitfinderError(
                    f"no usable model: {refit_note}; run fit again with a larger time_budget"
                )
            pipeline = best.pipeline
            refit_note += "; using the model fitted during validation"
            progress.say(f"[yellow]{refit_note}[/yellow]")
        return FittedModel(
            pipeline=pipeline,
            schema=data.schema,
            task=data.task,
            metric=data.metric.name,
            labels=data.labels,
            info={
                "best_family": result.family,
                "best_config": result.config,
                "best_trial": result.number,
                "validation_score": result.score,
                "validation": self.split_plan_.describe(),
                "refit": refit_note,
                "run_id": self.run_id_,
                "data_fingerprint": self.journal_.get_run(self.run_id_).fingerprint,
            },
        )

    def _report_data(self, progress: Progress, schema: Schema, info: TargetInfo, plan) -> None:
        notes = list(schema.notes)
        if info.n_dropped:
            notes.append(f"dropped {info.n_dropped} rows whose target is missing")
        notes.append(f"task {info.task}, metric {self.metric_.name}, validation {plan.describe()}")
        for note in notes:
            progress.say(note)

    # -- results -----------------------------------------------------------------------
    @property
    def best_family(self) -> str:
        return self._model().info["best_family"]

    @property
    def best_config(self) -> dict:
        return self._model().info["best_config"]

    @property
    def best_estimator(self) -> Any:
        """The fitted scikit-learn pipeline (preprocessing + estimator)."""
        return self._model().pipeline

    @property
    def classes_(self) -> np.ndarray | None:
        return self._model().classes_

    def leaderboard(self) -> pd.DataFrame:
        """Every trial of the run, best first: rank, family, config, score, times, status."""
        from fitfinder.report import leaderboard

        self._model()
        return leaderboard(self.journal_.trials(self.run_id_), self.metric_)

    def predict(self, X) -> np.ndarray:
        return self._model().predict(X)

    def predict_proba(self, X) -> np.ndarray:
        return self._model().predict_proba(X)

    def score(self, X, y, sample_weight=None) -> float:
        """The run's metric on ``(X, y)``, in its natural direction."""
        model = self._model()
        info = prepare_target(pd.Series(np.asarray(y)), model.task)
        truth = _encode_like(np.asarray(y), model.labels) if model.labels is not None else info.y
        pred = model.predict(X) if model.task == "regression" else model.predict_proba(X)
        if self.metric_.kind == "custom":
            raise ConfigError(
                "score() needs a built-in or simple metric; call your metric directly"
            )
        return self.metric_.score(truth, pred, sample_weight)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model directory (model.json, pipeline, journal)."""
        return self._model().save(path, journal=self.journal_path_)

    def _model(self) -> FittedModel:
        if not hasattr(self, "model_"):
            raise FitfinderError("this AutoML is not fitted yet; call fit() first")
        return self.model_


# -- small helpers -------------------------------------------------------------------------
def _split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    if target not in frame.columns:
        import difflib

        close = difflib.get_close_matches(target, [str(c) for c in frame.columns], n=3, cutoff=0.5)
        hint = (
            f"; did you mean {', '.join(close)}?"
            if close
            else f"; columns are: {', '.join(map(str, frame.columns[:20]))}"
        )
        raise DataError(f"target column {target!r} not found{hint}")
    return frame.drop(columns=[target]), frame[target]


def _per_row(values, kept: np.ndarray, name: str) -> np.ndarray | None:
    if values is None:
        return None
    array = np.asarray(values)
    if len(array) != len(kept):
        raise DataError(f"{name} has {len(array)} entries for {len(kept)} rows; give one per row")
    return array[kept]


def _fingerprint(data: TrialData) -> str:
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(data.X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(data.y).tobytes())
    if data.sample_weight is not None:
        digest.update(np.ascontiguousarray(data.sample_weight, dtype=float).tobytes())
    return digest.hexdigest()[:32]


def _check_resumable(previous, settings: dict, fingerprint: str) -> None:
    if previous.fingerprint != fingerprint:
        raise ResumeError(
            "cannot resume: the data differ from the journaled run; "
            "use the same data or start a new run without resume"
        )
    changed = [k for k in RESUME_KEYS if previous.settings.get(k) != settings.get(k)]
    if changed:
        diffs = ", ".join(
            f"{k} {previous.settings.get(k)!r} -> {settings.get(k)!r}" for k in changed
        )
        raise ResumeError(
            f"cannot resume: settings changed ({diffs}); restore them or start a new run"
        )


def _best_of_records(records: list[TrialRecord]) -> Best | None:
    done = [r for r in records if r.status == "done" and r.loss is not None]
    if not done:
        return None
    record = min(done, key=lambda r: r.loss)
    result = TrialResult(
        number=record.number,
        family=record.family,
        config=record.config,
        fidelity=record.fidelity,
        status=record.status,
        loss=record.loss,
        score=record.score,
        fit_time=record.fit_time,
    )
    return Best(result, None)


def _sqlite_path(url: str) -> str | None:
    prefix = "sqlite:///"
    return url[len(prefix) :] if url.startswith(prefix) else None


def _encode_like(y: np.ndarray, labels: list) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    unknown = {v for v in y.tolist() if v not in index}
    if unknown:
        raise DataError(f"labels {sorted(map(str, unknown))[:5]} were not seen in training")
    return np.array([index[v] for v in y.tolist()])

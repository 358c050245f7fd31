"""AutoML: the scikit-learn-style estimator that wires the flow.

table -> Schema + target -> splits -> Searcher proposes -> Runner evaluates in a worker ->
Journal records -> best config refit -> FittedModel.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fitfinder import tempfiles
from fitfinder.data import prepare_target
from fitfinder.ensemble import ENSEMBLE_FAMILY, EnsemblePlan, plan_ensemble
from fitfinder.ensemble.build import best_per_family
from fitfinder.ensemble.build import candidates as ensemble_candidates
from fitfinder.errors import ConfigError, DataError, FitfinderError, ResumeError
from fitfinder.estimators import FAMILIES, select_families
from fitfinder.finalize import Finalizer, refit_seconds
from fitfinder.model import JOURNAL_FILE, FittedModel
from fitfinder.progress import Progress
from fitfinder.recheck import (
    MAX_SCANNED,
    Recheck,
    near_ties,
    reserve_seconds,
    run_recheck,
)
from fitfinder.search.portfolio import portfolio_configs
from fitfinder.search.pruners import CurveBook, Pruner, make_pruner
from fitfinder.search.searcher import Proposal, Searcher, make_searcher
from fitfinder.search.warm_start import warm_start_configs
from fitfinder.search_loop import SAFETY_SECONDS, Best, SearchLoop
from fitfinder.storage import Journal, TrialRecord
from fitfinder.tasks import Problem, Validation, get_task
from fitfinder.threshold import Threshold, decide, tune_threshold, tunes_threshold
from fitfinder.trials import Runner, TrialData, TrialResult

log = logging.getLogger("fitfinder")

ENSEMBLE_PLAN_SECONDS = 2.0  # kept for choosing an ensemble at the end of the search
ENSEMBLE_RESERVE_FAMILIES = 4  # leading families whose best trials' refits are kept time for
ENSEMBLE_RESERVE_SHARE = 0.2  # of the budget, at most, for those refits (beyond the best's)
RESUME_KEYS = ("task", "metric", "seed", "split", "n_folds", "holdout_fraction", "estimators")


class AutoML:
    """Find the best algorithm and hyperparameters for a table within a time budget.

    Parameters mirror the CLI flags (``--time-budget`` is ``time_budget`` ...). With
    ``task="forecast"``, ``horizon`` (steps to forecast) is needed and ``freq``,
    ``seasonal_period``, ``n_windows``, ``window_step`` (backtest windows), ``quantile_levels``
    and ``holidays_country`` apply. With ``task="rank"``, ``fit`` takes the query column as
    ``group_column``.
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
        ensemble: bool | str = True,
        max_members: int = 10,
        refit: str = "full",
        storage: str | None = None,
        resume: bool = False,
        verbose: int = 1,
        search: str = "auto",
        starting_points: dict[str, dict | list[dict]] | None = None,
        warm_start: str | os.PathLike | None = None,
        portfolio: bool = False,
        pruner: str | Pruner = "none",
        sample: bool = False,
        recheck: bool = True,
        tune_threshold: bool = True,
        horizon: int | None = None,
        freq: str | None = None,
        seasonal_period: int | list[int] | None = None,
        n_windows: int | None = None,
        window_step: int | None = None,
        quantile_levels: tuple[float, ...] | None = None,
        holidays_country: str | None = None,
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
        self.ensemble = ensemble
        self.max_members = max_members
        self.refit = refit
        self.storage = storage
        self.resume = resume
        self.verbose = verbose
        self.search = search
        self.starting_points = starting_points
        self.warm_start = warm_start
        self.portfolio = portfolio
        self.pruner = pruner
        self.sample = sample
        self.recheck = recheck
        self.tune_threshold = tune_threshold
        self.horizon = horizon
        self.freq = freq
        self.seasonal_period = seasonal_period
        self.n_windows = n_windows
        self.window_step = window_step
        self.quantile_levels = quantile_levels
        self.holidays_country = holidays_country

    # -- fit ---------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any = None,
        **keywords: Any,
    ) -> AutoML:
        """Search for the best model. ``X`` is a table, a path to CSV/Parquet, or an array.

        Keywords depend on the task: tables take ``target``, ``sample_weight`` and ``groups``;
        forecasts take ``target``, ``time_column``, ``id_column`` and ``known_covariates``;
        rankings take ``target``, ``group_column`` and ``groups``.
        """
        start = time.monotonic()
        deadline = start + self.time_budget if self.time_budget else math.inf
        self._check_settings()
        self.task_ = get_task(self.task)
        self.task_.check_keywords(keywords)
        problem = self.task_.prepare(self, X, y, **keywords)
        data, plan = problem.data, problem.plan
        data.n_threads = self._threads(self._concurrency())
        self._check_split_settings(plan)
        families = select_families(
            self.estimators,
            data.task,
            len(data.X),
            self.time_budget,
            data.schema,
            weighted=problem.weighted,
        )
        self.problem_ = problem
        self.schema_, self.metric_, self.split_plan_ = data.schema, data.metric, plan
        seeded = self._seeded_configs(data.task, families)  # before this run is journaled
        self._open_journal(data, families)
        try:
            searcher = make_searcher(
                families,
                self.search,
                seed=self.seed,
                max_trials=self.max_trials,
                reproducible=self.time_budget is None,
                starting_points=self.starting_points,
                n_train_rows=max(len(train) for train, _ in plan.folds) if self.sample else None,
                **seeded,
            )
            self._replay(searcher)
            progress = Progress(self.time_budget, data.metric.name, enabled=self.verbose > 0)
            self._report_data(progress, problem)
            runner = Runner(
                data, n_workers=self._concurrency(), memory_limit_mb=self._memory_limit()
            )
            with progress, runner:
                best, validated = self._search(runner, searcher, deadline, progress)
                finalizer = self._finalizer(runner, data, deadline, validated)
                self.model_ = self._final_model(finalizer, data, best, progress)
            for name, reason in searcher.retired().items():
                progress.say(f"retired family {name}: {reason}")
            self.fit_time_ = time.monotonic() - start
            self.journal_.finish_run(
                self.run_id_, {"best_trial": best.result.number, "fit_time": self.fit_time_}
            )
        finally:
            self.journal_.release()  # another process may write this journal now
        return self

    def _check_settings(self) -> None:
        if self.time_budget is not None and self.time_budget <= 0:
            raise ConfigError(f"time_budget must be positive seconds, got {self.time_budget}")
        if self.time_budget is None and self.max_trials is None:
            raise ConfigError("give a time_budget or max_trials (or both) so the search can end")
        if self.max_trials is not None and self.max_trials < 1:
            raise ConfigError(f"max_trials must be at least 1, got {self.max_trials}")
        for name, smallest in (
            ("n_jobs", 1),
            ("n_concurrent_trials", 1),
            ("max_members", 1),
            ("cv_max_rows", 0),
        ):
            value = getattr(self, name)
            if value is not None and value < smallest and (name, value) != ("n_jobs", -1):
                raise ConfigError(
                    f"{name} must be at least {smallest}, got {value}; leave it unset for the "
                    "default"
                )
        for name in ("trial_time_limit", "memory_limit_mb"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(
                    f"{name} must be positive, got {value}; leave it unset for the default"
                )
        if self.ensemble not in (True, False, None, "greedy", "stack"):
            raise ConfigError(
                f"ensemble must be True, False, 'greedy' or 'stack', got {self.ensemble!r}"
            )
        if self.refit not in ("full", "folds"):
            raise ConfigError(f"refit must be 'full' or 'folds', got {self.refit!r}")
        make_pruner(self.pruner)  # an unknown name fails before any work

    def _check_split_settings(self, plan) -> None:
        """Stacking and fold-averaged refits need out-of-fold predictions, i.e. k-fold CV."""
        for wanted, value in (
            ("ensemble='stack'", self.ensemble == "stack"),
            ("refit='folds'", self.refit == "folds"),
        ):
            if value and plan.kind != "cv":
                raise ConfigError(
                    f"{wanted} needs cross-validation; set split='cv' (this run uses a holdout)"
                )

    def _threads(self, concurrent: int = 1) -> int:
        """Threads per trial: ``n_jobs``, or the cores shared among concurrent trials."""
        return max(1, self._n_jobs() or (os.cpu_count() or 1) // concurrent)

    def _n_jobs(self) -> int | None:
        """``n_jobs``, with scikit-learn's -1 (every core) read as unset (the default)."""
        return None if self.n_jobs == -1 else self.n_jobs

    def _memory_limit(self) -> float:
        if self.memory_limit_mb is not None:
            return float(self.memory_limit_mb)
        import psutil

        return 0.8 * psutil.virtual_memory().total / 2**20

    def _seeded_configs(self, task: str, families) -> dict:
        """The ``warm_start`` run's best configs and the zero-shot ``portfolio``, as asked."""
        return {
            "warm_start": warm_start_configs(self.warm_start, task, families)
            if self.warm_start
            else None,
            "portfolio": portfolio_configs(task, families) if self.portfolio else None,
        }

    # -- journal -----------------------------------------------------------------------
    def _open_journal(self, data: TrialData, families) -> None:
        cleanup = getattr(self, "_journal_cleanup", None)
        if cleanup is not None:  # a fit again: the previous fit's temporary journal goes
            cleanup()
        if self.storage is None:
            # removed when this object goes or the interpreter exits (save() copies it before)
            folder = tempfiles.make_dir("journal")
            url = f"sqlite:///{folder / JOURNAL_FILE}"
        else:
            folder, url = None, self.storage
        self.journal_ = Journal(url)
        if folder is not None:
            self._journal_cleanup = weakref.finalize(self, _drop_journal, self.journal_, folder)
        self.journal_path_ = _sqlite_path(url)
        interrupted = self.journal_.claim()  # refuses a journal another live process writes
        if interrupted:
            log.warning(
                "%d trial(s) were running when an earlier fit writing this journal stopped; "
                "they are marked interrupted and not run again",
                len(interrupted),
            )
        try:
            self._start_run(data, families)
        except BaseException:
            self.journal_.release()
            raise

    def _start_run(self, data: TrialData, families) -> None:
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
            "pruner": str(self.pruner),
            "sample": self.sample,
        }

    def _replay(self, searcher: Searcher) -> None:
        """Feed the finished trials of a resumed run to the searcher."""
        self._records: list[TrialRecord] = self.journal_.trials(self.run_id_)
        for record in self._records:
            loss = record.loss if record.status in ("done", "pruned") else None
            searcher.observe(
                Proposal(record.family, record.config, "journal", record.sample_size),
                loss,
                record.fit_time,
            )
        if self._records:
            log.info("resuming run %d with %d finished trials", self.run_id_, len(self._records))

    # -- search ------------------------------------------------------------------------
    def _search(
        self, runner: Runner, searcher: Searcher, deadline: float, progress
    ) -> tuple[Best, dict[int, Any]]:
        """The best trial, and the validated pipelines of each family's best (by number)."""
        loop = SearchLoop(
            runner,
            searcher,
            self.journal_,
            self.run_id_,
            progress,
            deadline=deadline,
            reserve=self._reserve,
            trial_time_limit=self.trial_time_limit,
            first_number=max((r.number for r in self._records), default=-1) + 1,
            leaders=_leaders_of_records(self._records),
            pruning=self._curve_book(),
        )
        best = loop.run(self._concurrency())
        if best is None:
            raise FitfinderError(self._nothing_finished())
        return best, loop.validated_models()

    def _curve_book(self) -> CurveBook:
        """The pruner, with the curves of a resumed run's trials."""
        book = CurveBook(
            make_pruner(self.pruner, self.seed), {n: f.fidelity for n, f in FAMILIES.items()}
        )
        for record in self._records:
            if record.status in ("done", "pruned"):
                book.add(record.family, record.number, record.curve)
        return book

    def _concurrency(self) -> int:
        """Trials side by side: one per core, except in reproducible (trial-capped) runs."""
        if self.time_budget is None:
            return 1
        return self.n_concurrent_trials or max(1, min(os.cpu_count() or 1, 2))

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
        self, finalizer: Finalizer, data: TrialData, best: Best, progress
    ) -> FittedModel:
        records = {r.number: r for r in self.journal_.trials(self.run_id_)}
        enough_time = finalizer.remaining() > ENSEMBLE_PLAN_SECONDS
        plan = self._plan_ensemble(records, data, finalizer, best) if enough_time else None
        estimator, note, ensemble = None, "", None
        if plan is not None and plan.use:
            estimator, note = finalizer.ensemble(plan, records)
            ensemble = plan if estimator is not None else None
            if estimator is None:
                progress.say(f"[yellow]{note}[/yellow]")
        check = None
        if estimator is None:
            best, check = self._guard(data, best, records, finalizer, progress)
            estimator, note = finalizer.single(best)
            if estimator is None:  # e.g. a resumed run's best: its validated model died with
                best, estimator, note = _validated_stand_in(best, records, finalizer, note)
            if estimator is None:
                raise FitfinderError(
                    f"no usable model: {note}; run fit again with a larger time_budget"
                )
            if "skipped" in note or "failed" in note:
                progress.say(f"[yellow]{note}[/yellow]")
        validation = self._validation(best.result.number, ensemble)
        threshold = self._threshold(data, validation)
        if threshold is not None:
            progress.say(threshold.describe(data.metric.name))
        info = self._model_info(best.result, note, ensemble, check, threshold)
        model = self.task_.model(self.problem_, estimator, info, validation)
        for line in self.task_.describe_model(model):
            progress.say(line)
        return model

    def _finalizer(
        self, runner: Runner, data: TrialData, deadline: float, validated: dict[int, Any]
    ) -> Finalizer:
        return Finalizer(
            runner,
            data,
            self.split_plan_,
            deadline=deadline,
            refit_mode=self.refit,
            n_threads=self._n_jobs() or os.cpu_count() or 1,
            validated=validated,
        )

    def _reserve(self, leaders: list[TrialResult], left: float) -> float:
        """Seconds the search leaves for the final model, given each family's best trial so far
        (best first): none when the best trial's refit cannot fit in the ``left`` seconds anyway
        (its validated model is kept then, so searching on is free; e.g. a best trial on a
        sample whose full refit is too long)."""
        one = refit_seconds(leaders[0], self.split_plan_, self.refit)
        if one > left:
            return 0.0
        if self._ensemble_method() is not None:
            # refits of the likely members (the leading families' best trials), within a share
            # of the budget but never less than the best trial's (a member with no time to
            # refit joins as validated); when no ensemble is used, that time rechecks near ties
            members = sum(
                refit_seconds(r, self.split_plan_, self.refit)
                for r in leaders[:ENSEMBLE_RESERVE_FAMILIES]
            )
            cap = ENSEMBLE_RESERVE_SHARE * (self.time_budget or math.inf)
            return max(one, min(members, cap)) + ENSEMBLE_PLAN_SECONDS
        return one + (
            reserve_seconds(leaders[0].wall_time, self.time_budget) if self.recheck else 0.0
        )

    def _ensemble_method(self) -> str | None:
        if self.ensemble in (False, None) or self.metric_.kind == "custom":
            return None
        return "greedy" if self.ensemble is True else self.ensemble

    def _plan_ensemble(
        self, records: dict[int, TrialRecord], data: TrialData, finalizer: Finalizer, best: Best
    ) -> EnsemblePlan | None:
        """Choose an ensemble from the journaled validation predictions of the trials whose
        refits fit the time left (so every member is refit and the ensemble used is the one
        validated); journal it as a row."""
        method = self._ensemble_method()
        if method is None:
            return None
        pool = finalizer.affordable(
            ensemble_candidates(list(records.values())),
            keep=best.result.number,
            planning=ENSEMBLE_PLAN_SECONDS,
        )
        plan = plan_ensemble(
            pool,
            self.journal_.predictions(self.run_id_, [r.number for r in pool]),
            data.y,
            data.metric,
            method=method,
            max_members=self.max_members,
            sample_weight=data.sample_weight,
            groups=data.groups,
            seed=self.seed,
            # choosing may use what is left after the best single trial's refit
            time_limit=finalizer.remaining() - finalizer.estimate(best.result),
            required_share=self.problem_.ensemble_win_share,
        )
        if plan is not None:
            row = max(records_numbers(list(records.values()))) + 1
            self.journal_.record_trial(self.run_id_, _ensemble_result(row, plan, data.metric))
        return plan

    def _guard(
        self, data: TrialData, best: Best, records: dict, finalizer: Finalizer, progress
    ) -> tuple[Best, Recheck | None]:
        """The single trial to refit: ``best``, or a near tie that did better on a second split
        (see :mod:`fitfinder.recheck`)."""
        if not self.recheck:
            return best, None
        done = sorted(
            (r for r in records.values() if r.status == "done" and r.family != ENSEMBLE_FAMILY),
            key=lambda r: r.loss,
        )[: MAX_SCANNED + 1]
        candidates = near_ties(
            done,
            self.journal_.predictions(self.run_id_, [r.number for r in done]),
            data.y,
            data.metric,
            sample_weight=data.sample_weight,
            groups=data.groups,
            seed=self.seed,
        )
        if len(candidates) < 2 or candidates[0].number != best.result.number:
            return best, None
        folds = self.task_.second_split(self.problem_, self.seed)
        if folds is None:
            return best, None
        until = finalizer.deadline - SAFETY_SECONDS - max(map(finalizer.estimate, candidates))
        check = run_recheck(
            finalizer.runner, candidates, folds, until=until, n_concurrent=self._concurrency()
        )
        progress.say(check.note())
        if check.chosen == best.result.number:
            return best, check
        return Best(result_of_record(records[check.chosen]), check.models[check.chosen]), check

    def _validation(self, number: int, ensemble: EnsemblePlan | None) -> Validation | None:
        """The final model's validation predictions: the ensemble's honest ones, or the chosen
        trial's as journaled."""
        if ensemble is not None:
            return Validation(ensemble.rows, ensemble.predictions)
        predictions = self.journal_.predictions(self.run_id_, [number]).get(number)
        if predictions is None:
            return None
        return Validation(np.arange(len(self.problem_.data.y)), predictions)

    def _threshold(self, data: TrialData, validation: Validation | None) -> Threshold | None:
        """The final model's tuned decision threshold, from its validation predictions
        (see fitfinder.threshold)."""
        if not (self.tune_threshold and tunes_threshold(data.metric, data.task)):
            return None
        if validation is None:
            return None
        rows, proba = validation.rows, validation.predictions
        weight = None if data.sample_weight is None else data.sample_weight[rows]
        return tune_threshold(data.y[rows], proba, data.metric, weight)

    def _model_info(
        self,
        result: TrialResult,
        note: str,
        ensemble: EnsemblePlan | None,
        check: Recheck | None = None,
        threshold: Threshold | None = None,
    ) -> dict:
        info = {
            "best_family": result.family,
            "best_config": result.config,
            "best_trial": result.number,
            "validation_score": result.score,
            "validation": self.split_plan_.describe(),
            "refit": note,
            "run_id": self.run_id_,
            "data_fingerprint": self.journal_.get_run(self.run_id_).fingerprint,
        }
        if check is not None:
            info["recheck"] = check.info()
        if threshold is not None:
            info["decision_threshold"] = threshold.info()
        if ensemble is not None:
            info["ensemble"] = ensemble.config()
            info["validation_score"] = self.metric_.score_of_loss(ensemble.loss)
            info["best_family"], info["best_config"] = ENSEMBLE_FAMILY, ensemble.config()
        return info

    def _report_data(self, progress: Progress, problem: Problem) -> None:
        notes = [
            *problem.notes,
            f"task {problem.data.task}, metric {self.metric_.name}, "
            f"validation {problem.plan.describe()}",
        ]
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

    def predict(self, X: Any = None, **keywords: Any) -> Any:
        """Predictions for the rows of ``X`` (tables; a ranker's scores); a forecast model takes
        ``predict(future=None, history=None)`` and returns the forecast frame."""
        if X is None:
            return self._model().predict(**keywords)
        return self._model().predict(X, **keywords)

    def predict_proba(self, X) -> np.ndarray:
        return self._model().predict_proba(X)

    def score(self, X, y=None, sample_weight=None) -> float:
        """The run's metric on ``(X, y)``, in its natural direction. A ranker scores its own
        way: ``X`` holds the query column, and the relevance column unless ``y`` is given."""
        model = self._model()
        if hasattr(model, "score"):  # a task's model that reads more than (X, y): a ranker
            if sample_weight is not None:
                raise ConfigError(f"score() of a {model.task} model takes no sample_weight")
            return model.score(X, y, metric=self.metric_)
        if y is None:
            raise ConfigError("score(X, y) needs the true values y")
        info = prepare_target(pd.Series(np.asarray(y)), model.task)
        truth = _encode_like(np.asarray(y), model.labels) if model.labels is not None else info.y
        if model.task == "regression":
            pred = model.predict(X)
        else:
            pred = model.predict_proba(X)
            if self.metric_.kind == "label":  # labels as predict gives them
                pred = decide(pred, model.threshold)
        if self.metric_.kind == "custom":
            raise ConfigError(
                "score() needs a built-in or simple metric; call your metric directly"
            )
        return self.metric_.score(truth, pred, sample_weight)

    def export_onnx(self, path: str | os.PathLike, X=None) -> dict:
        """Write the model as one ONNX graph after a parity check; see ``fitfinder.export``."""
        return self._model().export_onnx(path, X)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model directory (model.json, pipeline, journal)."""
        return self._model().save(path, journal=self.journal_path_)

    def _model(self) -> FittedModel:
        if not hasattr(self, "model_"):
            raise FitfinderError("this AutoML is not fitted yet; call fit() first")
        return self.model_


# -- small helpers -------------------------------------------------------------------------
def _fingerprint(data: TrialData) -> str:
    """A hash of the trials' data and of how its columns are read (the schema: column roles,
    text columns and their embedding source, a forecast's frequency and horizon)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(data.schema.to_dict(), sort_keys=True, default=str).encode())
    digest.update(pd.util.hash_pandas_object(data.X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(data.y).tobytes())
    if data.sample_weight is not None:
        digest.update(np.ascontiguousarray(data.sample_weight, dtype=float).tobytes())
    return digest.hexdigest()[:32]


def _check_resumable(previous, settings: dict, fingerprint: str) -> None:
    if previous.fingerprint != fingerprint:
        raise ResumeError(
            "cannot resume: the data or how their columns are read (column roles, text "
            "columns, text embeddings) differ from the journaled run; use the same data and "
            "settings or start a new run without resume"
        )
    changed = [k for k in RESUME_KEYS if previous.settings.get(k) != settings.get(k)]
    if changed:
        diffs = ", ".join(
            f"{k} {previous.settings.get(k)!r} -> {settings.get(k)!r}" for k in changed
        )
        raise ResumeError(
            f"cannot resume: settings changed ({diffs}); restore them or start a new run"
        )


def _leaders_of_records(records: list[TrialRecord]) -> list[TrialResult]:
    """Each family's best finished trial, best first."""
    done = sorted(
        (
            r
            for r in records
            if r.status == "done" and r.loss is not None and r.family != ENSEMBLE_FAMILY
        ),
        key=lambda r: r.loss,
    )
    return [result_of_record(r) for r in best_per_family(done)]


def result_of_record(record: TrialRecord) -> TrialResult:
    """A journaled trial as the result the search would have returned (no predictions)."""
    return TrialResult(
        number=record.number,
        family=record.family,
        config=record.config,
        fidelity=record.fidelity,
        status=record.status,
        loss=record.loss,
        score=record.score,
        fit_time=record.fit_time,
        sample_size=record.sample_size,
    )


def records_numbers(records: list[TrialRecord]) -> list[int]:
    return [r.number for r in records] or [-1]


def _ensemble_result(number: int, plan: EnsemblePlan, metric) -> TrialResult:
    return TrialResult(
        number=number,
        family=ENSEMBLE_FAMILY,
        config=plan.config(),
        fidelity=None,
        status="done",
        loss=plan.loss,
        score=metric.score_of_loss(plan.loss),
        metrics={"single_loss": plan.single_loss, "win_share": plan.win_share},
    )


def _validated_stand_in(
    best: Best, records: dict[int, TrialRecord], finalizer: Finalizer, note: str
) -> tuple[Best, Any, str]:
    """When the best trial has no model (its refit did not fit the time left and its validated
    model was not kept: a trial from before a resume), the best trial whose validated model
    this process kept, with a note; ``(best, None, note)`` when there is none."""
    kept = [records[n] for n in finalizer.validated if n in records and records[n].loss is not None]
    if not kept:
        return best, None, note
    stand_in = min(kept, key=lambda r: r.loss)
    note = (
        f"{note}; trial {best.result.number} has no model fitted during validation (found "
        f"before a resume), so trial {stand_in.number}'s, fitted during validation, is used"
    )
    model = finalizer.validated[stand_in.number]
    return Best(result_of_record(stand_in), model), model, note


def _drop_journal(journal: Journal, folder: Path) -> None:
    """Close a temporary journal and remove its folder."""
    journal.close()
    tempfiles.remove(folder)


def _sqlite_path(url: str) -> str | None:
    prefix = "sqlite:///"
    return url[len(prefix) :] if url.startswith(prefix) else None


def _encode_like(y: np.ndarray, labels: list) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    unknown = {v for v in y.tolist() if v not in index}
    if unknown:
        raise DataError(f"labels {sorted(map(str, unknown))[:5]} were not seen in training")
    return np.array([index[v] for v in y.tolist()])

"""The last step of a fit: refit the chosen trial(s) on all rows within what is left of the budget.

``refit="full"`` fits each member's config on every training row; ``refit="folds"`` (CV only)
fits it on each fold's training rows and averages those models. A refit that would not fit the
budget is skipped: the trial's model fitted during validation stands in, when the search kept it
(the best trial's, and each family's best; under CV the first fold's). An ensemble is chosen only
from trials whose refits fit the time left or whose validated models were kept (``affordable``);
should a refit still run out of time, the ensemble keeps the members it has (re-weighted) or gives
way to the best single trial.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Protocol

import numpy as np

from fitfinder.data import SplitPlan
from fitfinder.ensemble import EnsemblePlan, StackedEnsemble, WeightedEnsemble
from fitfinder.search_loop import SAFETY_SECONDS, Best
from fitfinder.trials import TIMED_OUT, Runner, TrialData, TrialSpec
from fitfinder.trials.evaluate import refit, refit_folds


class FinishedTrial(Protocol):
    """What a refit needs of a trial: a TrialResult or a journaled TrialRecord."""

    number: int
    family: str
    config: dict
    fit_time: float  # seconds its validation fits took, all folds
    sample_size: int | None  # training rows per fold it fit on (None: all)


def refit_seconds(trial: FinishedTrial, split_plan: SplitPlan, mode: str = "full") -> float:
    """Expected seconds to refit a trial from its validation fits' ``fit_time``, scaled up in
    proportion to the rows when they fit on a ``sample_size``."""
    folds = split_plan.folds
    fold_rows = np.mean([len(train) for train, _ in folds])
    fit_time = trial.fit_time * max(fold_rows / (trial.sample_size or fold_rows), 1.0)
    if mode == "folds":
        return 1.2 * fit_time + 0.2
    train_share = fold_rows / split_plan.n_rows
    return 1.5 * fit_time / len(folds) / max(train_share, 1e-6) + 0.2


class Finalizer:
    """Refits configs in a worker, watching the deadline."""

    def __init__(
        self,
        runner: Runner,
        data: TrialData,
        split_plan: SplitPlan,
        *,
        deadline: float,
        refit_mode: str = "full",
        n_threads: int = 1,
        validated: dict[int, Any] | None = None,
    ):
        self.runner, self.data, self.split_plan = runner, data, split_plan
        self.deadline, self.refit_mode, self.n_threads = deadline, refit_mode, n_threads
        self.validated = validated or {}  # trial number -> its model fitted during validation
        self._refits: dict[int, tuple[Any, str]] = {}  # trial number -> (model, note)
        self.failed: set[int] = set()  # trials whose refit raised, crashed or ran out of memory

    def estimate(self, trial: FinishedTrial) -> float:
        return refit_seconds(trial, self.split_plan, self.refit_mode)

    def remaining(self) -> float:
        return self.deadline - time.monotonic() - SAFETY_SECONDS

    def refit(
        self, trial: FinishedTrial, force: bool = False, keep_free: float = 0.0
    ) -> tuple[Any, str]:
        """(``trial``'s config fitted, or None; what happened), fitted once per trial.

        The refit may take all the time left but ``keep_free`` seconds (kept for later refits);
        ``force`` ignores the budget (resume).
        """
        if trial.number in self._refits:
            return self._refits[trial.number]
        needed, remaining = self.estimate(trial), self.remaining() - keep_free
        if force:
            remaining = max(remaining, 3 * needed + 5)
        if remaining < needed:
            return (
                None,
                f"refit skipped: needs about {needed:.1f} s, {max(remaining, 0):.1f} s left",
            )
        spec = TrialSpec(
            -1, trial.family, trial.config, timeout=remaining, n_threads=self.n_threads
        )
        job = refit_folds if self.refit_mode == "folds" else refit
        status, value = self.runner.call(job, spec, remaining, time.monotonic() + remaining)
        if status == TIMED_OUT:
            return None, f"refit ran out of time ({value})"
        if status != "ok":
            self.failed.add(trial.number)
            return None, f"refit failed ({value})"
        what = (
            "averaged the fold models"
            if self.refit_mode == "folds"
            else "refit on all training rows"
        )
        self._refits[trial.number] = value, what
        return value, what

    def single(self, best: Best) -> tuple[Any, str]:
        """The best trial's final model, or its validated model when the refit is skipped."""
        result = best.result
        model, note = self.refit(result, force=best.pipeline is None)
        if model is not None:
            return model, note
        if best.pipeline is None:
            return None, note
        return best.pipeline, note + "; using the model fitted during validation"

    def affordable(self, trials: list[FinishedTrial], keep: int, planning: float) -> list:
        """The ``trials`` (best first) that can join an ensemble in the time left after
        ``planning`` seconds: trial ``keep`` always, then each one whose refit still fits or
        whose validated model was kept, in order."""
        ordered = sorted(trials, key=lambda t: t.number != keep)  # stable: keep first
        costs = self._planned_refits(ordered, self.remaining() - planning, keep)
        return [
            t
            for t, cost in zip(ordered, costs, strict=True)
            if t.number == keep or cost > 0 or t.number in self.validated
        ]

    def _planned_refits(self, trials: list, left: float, keep: int | None = None) -> list[float]:
        """Each trial's expected refit seconds, in order, while they fit in ``left`` (``keep``'s
        always); 0 for a trial whose refit no longer fits."""
        costs = []
        for trial in trials:
            cost = self.estimate(trial)
            costs.append(cost if trial.number == keep or cost <= left else 0.0)
            left -= costs[-1]
        return costs

    def ensemble(self, plan: EnsemblePlan, records: dict[int, FinishedTrial]) -> tuple[Any, str]:
        """The ensemble with its members refit, or None when too few could be."""
        order = np.argsort(plan.weights)[::-1]
        members = [records[plan.members[i]] for i in order]
        later = np.cumsum(self._planned_refits(members, self.remaining())[::-1])[::-1]
        fitted: dict[int, Any] = {}
        stand_ins, dropped = [], []  # why each member was not refit
        for i, member, after in zip(order, members, [*later[1:], 0.0], strict=True):
            # a refit slower than expected may use the slack, never the later members' time
            model, _ = self.refit(member, keep_free=after)
            if model is None:
                why = "refit failed" if member.number in self.failed else "no time to refit"
                model = self.validated.get(member.number)
                (dropped if model is None else stand_ins).append(why)
            if model is not None:
                fitted[i] = model
        n_classes = self.data.n_classes
        kept = sorted(fitted)
        if plan.method == "stack":
            if len(kept) < len(plan.members):
                return None, "stacked ensemble skipped: not every member could be refit in time"
            model = StackedEnsemble([fitted[i] for i in kept], plan.meta, n_classes)
            return model, _members_note(plan, self.refit_mode, stand_ins, dropped)
        if len(kept) < 2:
            return None, "ensemble skipped: fewer than two members could be refit in time"
        weights = np.asarray(plan.weights)[kept]
        model = WeightedEnsemble(
            [fitted[i] for i in kept], list(weights / weights.sum()), n_classes
        )
        return model, _members_note(plan, self.refit_mode, stand_ins, dropped)


def _members_note(plan: EnsemblePlan, mode: str, stand_ins: list[str], dropped: list[str]) -> str:
    """What the ensemble is made of; ``stand_ins`` and ``dropped`` hold why each such member
    was not refit."""
    n_kept = len(plan.members) - len(dropped)
    how = "fold models averaged" if mode == "folds" else "refit on all training rows"
    if stand_ins:
        note = (
            f"{plan.method} ensemble of {n_kept} trials: {n_kept - len(stand_ins)} {how}, "
            f"{len(stand_ins)} as fitted during validation ({_reasons(stand_ins)})"
        )
    else:
        note = f"{plan.method} ensemble of {n_kept} trials, each {how}"
    if dropped:
        note += f"; {len(dropped)} members dropped ({_reasons(dropped)}), weights renormalised"
    return note


def _reasons(whys: list[str]) -> str:
    """Why members were not refit: their one reason, or each reason with its count."""
    counts = Counter(whys)
    if len(counts) == 1:
        return whys[0]
    return ", ".join(f"{n} {why}" for why, n in sorted(counts.items()))

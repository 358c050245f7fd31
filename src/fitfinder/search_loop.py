"""The search loop: ask the searcher, run the trial in a worker, journal it, learn; repeat.

Trials may run side by side (one thread per concurrent trial, each driving one worker). The
loop owns the clock: a trial is launched only when the budget left after reserving time for
the final model (``reserve(leaders, seconds left)``, from each family's best trial so far) can
fit it, and its timeout never reaches past that point.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fitfinder.progress import Progress
from fitfinder.search.pruners import CurveBook
from fitfinder.search.searcher import Proposal, Searcher
from fitfinder.storage import Journal
from fitfinder.trials import DONE, PRUNED, Runner, TrialResult, TrialSpec

SAFETY_SECONDS = 0.5  # kept free at the end of the budget for shutting workers and saving
MIN_TRIAL_SECONDS = 0.3


@dataclass
class Best:
    """The best finished trial and its validated pipeline (None after a resume)."""

    result: TrialResult
    pipeline: Any = None


class SearchLoop:
    """Runs trials until the searcher is done or the budget cannot fit another one."""

    def __init__(
        self,
        runner: Runner,
        searcher: Searcher,
        journal: Journal,
        run_id: int,
        progress: Progress,
        *,
        deadline: float,
        reserve: Callable[[list[TrialResult], float], float],
        trial_time_limit: float | None = None,
        first_number: int = 0,
        leaders: list[TrialResult] = (),
        pruning: CurveBook | None = None,
    ):
        self.runner, self.searcher, self.journal = runner, searcher, journal
        self.run_id, self.progress, self.deadline = run_id, progress, deadline
        self.reserve = reserve
        self.trial_time_limit = trial_time_limit or math.inf
        self.number = first_number
        # each family's best finished trial (a resumed run's, best first), and the best of all
        self.leaders = {r.family: r for r in leaders}
        self.best = Best(leaders[0]) if leaders else None
        self.pruning = pruning  # earlier curves -> each trial's stop rule
        self._lock = threading.Lock()
        self._stop = False

    def run(self, n_concurrent: int = 1) -> Best | None:
        """Search with ``n_concurrent`` trials at a time; returns the best trial found."""
        threads = [threading.Thread(target=self._drive, daemon=True) for _ in range(n_concurrent)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self.best

    def _drive(self) -> None:
        while (launch := self._next_launch()) is not None:
            proposal, spec = launch
            # the trial's time counts from its launch: waiting for a booting worker included
            result = self.runner.run(
                spec,
                deadline=time.monotonic() + spec.timeout,
                on_start=lambda pid, spec=spec: self._started(spec, pid),
            )
            self._record(proposal, result)

    def _started(self, spec: TrialSpec, pid: int) -> None:
        """Journal the trial as running in worker ``pid`` before it starts."""
        with self._lock:
            self.journal.start_trial(self.run_id, spec, pid)

    def _next_launch(self) -> tuple[Proposal, TrialSpec] | None:
        with self._lock:
            if self._stop or (proposal := self.searcher.suggest(self._affordable())) is None:
                return None
            timeout = self._timeout()
            if timeout is None:
                self._stop = True
                self.searcher.release(proposal)
                return None
            spec = TrialSpec(
                self.number,
                proposal.family,
                proposal.config,
                timeout=timeout,
                keep_model_below=self._leader_loss(proposal.family),
                stop_rule=self.pruning
                and self.pruning.rule(proposal.family, self.number, proposal.config),
                sample_size=proposal.sample_size,
            )
            self.number += 1
            return proposal, spec

    def validated_models(self) -> dict[int, Any]:
        """Trial number -> validated pipeline of each family's best trial found in this run."""
        return {r.number: r.model for r in self.leaders.values() if r.model is not None}

    def _leader_loss(self, family: str) -> float | None:
        """A trial sends its validated pipeline back when it beats its family's best."""
        leader = self.leaders.get(family)
        return None if leader is None else leader.loss

    def _available(self) -> float:
        """Seconds left for trials: the budget less the final refit's reserve and a margin."""
        available = self.deadline - time.monotonic() - SAFETY_SECONDS
        if self.leaders:
            ranked = sorted(self.leaders.values(), key=lambda r: r.loss)
            available -= self.reserve(ranked, available)
        return available

    def _affordable(self) -> float | None:
        """The most a trial may be expected to cost now (None: no time budget)."""
        return self._available() if math.isfinite(self.deadline) else None

    def _timeout(self) -> float | None:
        """Seconds the trial may take, or None when the budget cannot fit one."""
        timeout = min(self._available(), self.trial_time_limit)
        return timeout if timeout >= MIN_TRIAL_SECONDS else None

    def _record(self, proposal: Proposal, result: TrialResult) -> None:
        with self._lock:
            self.journal.record_trial(self.run_id, result)
            ok = result.status == DONE
            learned = ok or result.status == PRUNED  # a pruned trial's (bad) first-fold loss
            self.searcher.observe(proposal, result.loss if learned else None, result.wall_time)
            if self.pruning and learned:
                self.pruning.add(result.family, result.number, result.curve)
            if ok and (self.best is None or result.loss < self.best.result.loss):
                self.best = Best(result, result.model)
            leader = self.leaders.get(result.family)
            if ok and (leader is None or result.loss < leader.loss):
                self.leaders[result.family] = result
            best = self.best.result if self.best else None
            self.progress.trial(learned, best and best.score, best and best.family)

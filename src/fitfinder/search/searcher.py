"""The default searcher: cheap starts, library defaults, then improvement per second.

``suggest()`` returns a :class:`Proposal`; ``observe()`` learns from its result. It never sees
data. Order of work:

1. every family's cheap config (``low_cost``), cheapest family first; then the seeded
   configs: the user's ``starting_points``, a ``warm_start`` run's best configs and the shipped
   zero-shot ``portfolio`` (each in rank order: every family's first, then every second...);
2. every family's library defaults, strongest tabular learners first (``DEFAULTS_ORDER``), so
   the result is never worse than the default model whenever the budget allows;
3. then the family with the smallest *estimated cost for improvement* (the time it would take
   to catch up with the best family at its recent rate of improvement, at least one trial's
   cost) gets the next trial: the family's ``alternatives`` first (strong configs unlike its
   defaults, which some families declare), then what its within-family strategy proposes
   (``search=``, see :mod:`fitfinder.search.strategies`; by default a local move around its
   best config, or now and then a random config from its whole space).

``strategy="random"`` is plain random search, the baseline the others are measured against: it
skips steps 1 (cheap configs; seeded configs are still tried) and 2, draws the family uniformly
instead of by step 3's estimate, skips the alternatives, and fits every trial on all training
rows.

With ``cost="trials"`` every trial costs 1, so a run capped by ``max_trials`` is reproducible.

Training-sample size is a fidelity (FLAML's idea): given ``n_train_rows`` (the largest fold's
training rows) above ``SAMPLE_GROWTH`` x ``SAMPLE_START``, every family's trials fit on
``SAMPLE_START`` rows at first; after ``patience`` trials in a row at its size without improving
its best, the family's size grows ``SAMPLE_GROWTH``-fold (all rows, None, once that reaches
``n_train_rows``) and its next trial re-evaluates its best config at the new size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np

from fitfinder.errors import ConfigError
from fitfinder.estimators.base import Family
from fitfinder.search.space import Config, config_problem
from fitfinder.search.strategies import Proposer, check_strategy, make_proposer

MAX_RESAMPLES = 20
#: The order library defaults are tried in (other families after these, in search order).
DEFAULTS_ORDER = ("lightgbm", "xgboost", "hist_gb", "extra_trees", "rf", "nn", "glm", "svm", "knn")
SAMPLE_START = 10_000  # training rows per fold a family's first trials fit on (large data)
SAMPLE_GROWTH = 4  # the factor a family's sample grows by


@dataclass(frozen=True)
class Proposal:
    """A config to try: which family, which hyperparameters, and why (``origin``); fitted on
    ``sample_size`` training rows per fold (None: all)."""

    family: str
    config: Config
    # low_cost | start | warm_start | portfolio | defaults | alternative | search | grow | journal
    origin: str
    sample_size: int | None = None


@dataclass
class FamilyState:
    """What the searcher knows about one family."""

    family: Family
    proposer: Proposer
    best_loss: float = np.inf
    best_config: Config | None = None
    trials: int = 0
    failures: int = 0
    spent: float = 0.0
    spent_at_best: float = 0.0
    previous_best_loss: float = np.inf
    spent_at_previous_best: float = 0.0
    costs: list[float] = field(default_factory=list)
    exhausted: bool = False  # no untried config could be found
    sample_size: int | None = None  # the training rows its trials fit on now (None: all)
    stale: int = 0  # trials in a row at that size that did not improve best_loss
    alternatives: list[Config] = field(default_factory=list)  # not proposed yet

    def mean_cost(self) -> float:
        recent = self.costs[-5:]
        return float(np.mean(recent)) if recent else self.family.cost

    def improvement_rate(self) -> float:
        """Loss improvement per unit of cost, from the family's last two improvements."""
        if not np.isfinite(self.previous_best_loss) or not np.isfinite(self.best_loss):
            return 0.0
        gained = self.previous_best_loss - self.best_loss
        spent = max(self.spent - self.spent_at_previous_best, self.mean_cost())
        return gained / spent


class Searcher:
    """Family selection by estimated cost for improvement, a pluggable strategy within each.

    ``strategy`` is one of :data:`fitfinder.search.strategies.STRATEGIES`; ``starting_points``
    maps family names to a config or a list of configs tried right after the cheap starts,
    followed by the ``warm_start`` and ``portfolio`` configs (same shape, already validated).
    """

    def __init__(
        self,
        families: list[Family],
        *,
        seed: int = 0,
        max_trials: int | None = None,
        cost: str = "seconds",
        max_failures: int = 3,
        strategy: str = "auto",
        starting_points: dict[str, Config | list[Config]] | None = None,
        warm_start: dict[str, list[Config]] | None = None,
        portfolio: dict[str, list[Config]] | None = None,
        n_train_rows: int | None = None,
        patience: int = 3,
    ):
        check_strategy(strategy)
        self.plain = strategy == "random"
        self.rng = np.random.default_rng(seed)
        self.max_trials = max_trials
        self.count_trials = cost == "trials"
        self.max_failures = max_failures
        self.n_train_rows, self.patience = n_train_rows, patience
        large = (n_train_rows or 0) > SAMPLE_GROWTH * SAMPLE_START
        start = SAMPLE_START if large and not self.plain else None
        self.states = {
            f.name: FamilyState(
                f,
                make_proposer(strategy, f.space, f.low_cost, self.rng),
                sample_size=start,
                alternatives=[] if self.plain else [dict(c) for c in f.alternatives],
            )
            for f in families
        }
        self._max_cost: float | None = None
        self.n_observed = 0
        self.in_flight = 0  # suggested, not yet observed (trials may run side by side)
        seeded = (
            ("start", check_starting_points(starting_points or {}, self.states)),
            ("warm_start", warm_start or {}),
            ("portfolio", portfolio or {}),
        )
        cheap = (
            [] if self.plain else [Proposal(f.name, dict(f.low_cost), "low_cost") for f in families]
        )
        self._pending: list[Proposal] = cheap + [
            p for origin, points in seeded for p in _seeded_proposals(points, self.states, origin)
        ]
        self._defaults_queued = self.plain
        self._tried: set[str] = set()
        self._regrown: dict[str, Proposal] = {}  # family -> its best config at its new size

    # -- the two verbs ---------------------------------------------------------------
    def suggest(self, max_cost: float | None = None) -> Proposal | None:
        """The next proposal, or None when the trial cap is reached or no family is left.

        ``max_cost`` leaves out, for this call, families whose recent trials cost more (the
        time left in the budget), so an expensive family never ends the search for cheap ones.
        """
        if self.max_trials is not None and self.n_observed + self.in_flight >= self.max_trials:
            return None
        self._max_cost = max_cost
        proposal = self._next()
        if proposal is not None:
            self.in_flight += 1
            self._tried.add(self._key(proposal))
        return proposal

    def _next(self) -> Proposal | None:
        active = self._active()
        if regrown := next((name for name in self._regrown if name in active), None):
            return self._regrown.pop(regrown)
        while self._pending:
            proposal = self._pending.pop(0)
            if self._key(proposal) not in self._tried and proposal.family in active:
                return replace(proposal, sample_size=self.states[proposal.family].sample_size)
        if not self._defaults_queued:
            self._queue_defaults()
            return self._next()
        while active := self._active():
            state = self.states[self._choose_family(active)]
            proposal = self._fresh(state)
            if proposal is not None:
                return proposal
            state.exhausted = True
        return None

    def observe(self, proposal: Proposal, loss: float | None, cost: float) -> None:
        """Learn from a finished trial: ``loss`` is None when it failed or timed out.

        Trials replayed from a journal come with ``origin="journal"`` (never suggested here).
        """
        self.n_observed += 1
        if proposal.origin != "journal":
            self.in_flight -= 1
        self._tried.add(self._key(proposal))
        state = self.states.get(proposal.family)
        if state is None:
            return
        cost = 1.0 if self.count_trials else max(cost, 1e-3)
        state.trials += 1
        state.spent += cost
        state.costs.append(cost)
        failed = loss is None or not np.isfinite(loss)
        self._track_sample(state, proposal, improved=not failed and loss < state.best_loss)
        if failed:
            state.failures += 1
            state.proposer.observe(proposal.config, None)
            return
        state.failures = 0
        if loss < state.best_loss:
            state.previous_best_loss, state.spent_at_previous_best = (
                state.best_loss,
                state.spent_at_best,
            )
            state.best_loss, state.best_config, state.spent_at_best = (
                loss,
                proposal.config,
                state.spent,
            )
        state.proposer.observe(proposal.config, loss)

    def _track_sample(self, state: FamilyState, proposal: Proposal, improved: bool) -> None:
        """Count a trial at the family's current sample size; grow the sample after
        ``patience`` trials in a row without improvement, re-evaluating the best config."""
        name = state.family.name
        if self._regrown.get(name) == replace(proposal, origin="grow"):
            del self._regrown[name]  # a resumed run's journal holds the re-evaluation
        if state.sample_size is None or proposal.sample_size != state.sample_size:
            return
        state.stale = 0 if improved else state.stale + 1
        if state.stale < self.patience:
            return
        grown = state.sample_size * SAMPLE_GROWTH
        state.sample_size = grown if grown < self.n_train_rows else None
        state.stale = 0
        if state.best_config is not None:
            self._regrown[name] = Proposal(name, state.best_config, "grow", state.sample_size)

    def release(self, proposal: Proposal) -> None:
        """Forget a suggested proposal that was never run (e.g. the budget ran out)."""
        self.in_flight -= 1
        if proposal.origin == "grow":  # its config was tried before, at a smaller size
            self._regrown.setdefault(proposal.family, proposal)
        else:
            self._tried.discard(self._key(proposal))

    # -- helpers ---------------------------------------------------------------------
    def retired(self) -> dict[str, str]:
        """Families no longer tried, with the reason."""
        return {
            name: f"failed {s.failures} trials in a row"
            for name, s in self.states.items()
            if s.failures >= self.max_failures and s.best_config is None
        }

    def min_trial_cost(self) -> float:
        """The cheapest expected next trial among active families (seconds or trials)."""
        active = self._active()
        return min((self.states[n].mean_cost() for n in active), default=0.0)

    def _active(self) -> list[str]:
        retired = self.retired()
        return [
            n
            for n, s in self.states.items()
            if n not in retired and not s.exhausted and self._affordable(s)
        ]

    def _affordable(self, state: FamilyState) -> bool:
        limit = self._max_cost
        return limit is None or not state.trials or state.mean_cost() <= limit

    def _queue_defaults(self) -> None:
        """Library defaults, strongest tabular learners first: cheap-start scores would mislead
        here, since the cheap configs of boosting and forests are deliberately tiny."""
        self._defaults_queued = True
        ranked = sorted(self.states.values(), key=lambda s: _defaults_rank(s.family.name))
        self._pending = [
            Proposal(s.family.name, dict(s.family.defaults), "defaults") for s in ranked
        ]

    def _choose_family(self, active: list[str]) -> str:
        """Sample a family with probability proportional to 1 / estimated cost for improvement
        (uniformly in plain random search)."""
        if self.plain:
            return active[int(self.rng.integers(len(active)))]
        best = min(self.states[n].best_loss for n in active)
        eci = np.array([self._cost_for_improvement(self.states[n], best) for n in active])
        weights = 1.0 / np.maximum(eci, 1e-9)
        return active[int(self.rng.choice(len(active), p=weights / weights.sum()))]

    def _cost_for_improvement(self, state: FamilyState, best_loss: float) -> float:
        cost = state.mean_cost()
        if not np.isfinite(state.best_loss):
            return cost * 10.0
        gap = state.best_loss - best_loss
        if gap <= 0:
            return cost
        rate = state.improvement_rate()
        catch_up = gap / rate if rate > 0 else 2.0 * max(state.spent, cost) * (1.0 + gap)
        return max(catch_up, cost)

    def _fresh(self, state: FamilyState) -> Proposal | None:
        """The family's next alternative, else the strategy's next config, not tried before."""
        while state.alternatives:
            config = state.alternatives.pop(0)
            proposal = Proposal(state.family.name, config, "alternative", state.sample_size)
            if self._key(proposal) not in self._tried:
                return proposal
        for _ in range(MAX_RESAMPLES):
            config = state.proposer.propose()
            if config is None:
                return None
            proposal = Proposal(state.family.name, config, "search", state.sample_size)
            if self._key(proposal) not in self._tried:
                return proposal
            state.proposer.observe(proposal.config, None)
        return None

    @staticmethod
    def _key(proposal: Proposal) -> str:
        return proposal.family + json.dumps(proposal.config, sort_keys=True, default=str)


def check_starting_points(
    starting_points: dict[str, Config | list[Config]], states: dict[str, FamilyState]
) -> dict[str, list[Config]]:
    """The user's starting points as lists of configs; ConfigError naming a bad family/param."""
    unknown = sorted(set(starting_points) - set(states))
    if unknown:
        raise ConfigError(
            f"starting_points names families not in this search: {', '.join(unknown)}; "
            f"use one of {', '.join(states)}"
        )
    checked = {}
    for name, configs in starting_points.items():
        checked[name] = list(configs) if isinstance(configs, list | tuple) else [configs]
        for config in checked[name]:
            problem = (
                config_problem(states[name].family.space, config)
                if isinstance(config, dict)
                else f"{config!r} is not a dict of hyperparameters"
            )
            if problem:
                raise ConfigError(f"starting_points for {name}: {problem}; fix or remove it")
    return checked


def _seeded_proposals(
    points: dict[str, list[Config]], states: dict[str, FamilyState], origin: str
) -> list[Proposal]:
    """Seeded configs completed with their family's cheap config, every family's first first."""
    ranked = [
        (rank, Proposal(name, {**states[name].family.low_cost, **config}, origin))
        for name, configs in points.items()
        for rank, config in enumerate(configs)
    ]
    return [proposal for _, proposal in sorted(ranked, key=lambda pair: pair[0])]


def _defaults_rank(name: str) -> int:
    return DEFAULTS_ORDER.index(name) if name in DEFAULTS_ORDER else len(DEFAULTS_ORDER)


def make_searcher(
    families: list[Family],
    search: str = "auto",
    *,
    seed: int = 0,
    max_trials: int | None = None,
    reproducible: bool = False,
    starting_points: dict[str, Config | list[Config]] | None = None,
    warm_start: dict[str, list[Config]] | None = None,
    portfolio: dict[str, list[Config]] | None = None,
    n_train_rows: int | None = None,
) -> Searcher:
    """The searcher for a fit: strategy ``search`` within families, costs counted in trials
    when ``reproducible`` (a trial-capped run without a time budget), else in seconds; seeded
    configs and training-sample sizes (``n_train_rows``; None: no samples) as in
    :class:`Searcher`."""
    return Searcher(
        families,
        seed=seed,
        max_trials=max_trials,
        cost="trials" if reproducible else "seconds",
        strategy=search,
        starting_points=starting_points,
        warm_start=warm_start,
        portfolio=portfolio,
        n_train_rows=n_train_rows,
    )

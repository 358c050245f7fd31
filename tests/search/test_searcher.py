"""The default searcher against synthetic objectives (no data, no workers)."""

import numpy as np
import pytest

from fitfinder.estimators.base import Family
from fitfinder.search.local import LocalSearch
from fitfinder.search.searcher import Proposal, Searcher
from fitfinder.search.space import Categorical, Float, Int, sample

SPACE = {"x": Float(-5.0, 5.0), "lr": Float(1e-4, 1.0, log=True), "n": Int(1, 100, log=True)}
OPTIMUM = {"x": 1.5, "lr": 0.01, "n": 30}


def bowl(config):
    return (
        (config["x"] - OPTIMUM["x"]) ** 2
        + np.log10(config["lr"] / OPTIMUM["lr"]) ** 2
        + np.log10(config["n"] / OPTIMUM["n"]) ** 2
    )


def family(name, space=SPACE, low_cost=None, defaults=None, cost=1.0):
    low_cost = low_cost or {"x": -4.0, "lr": 0.5, "n": 1}
    return Family(
        name=name,
        tasks=frozenset({"binary"}),
        space=space,
        low_cost=low_cost,
        defaults=defaults or low_cost,
        preprocessing="scaled",
        build=lambda config, ctx: None,
        cost=cost,
    )


def run(searcher, objective, trials):
    best = np.inf
    for _ in range(trials):
        proposal = searcher.suggest()
        if proposal is None:
            break
        loss = objective(proposal)
        searcher.observe(proposal, loss, 1.0)
        best = min(best, np.inf if loss is None else loss)
    return best


def test_local_search_beats_random_on_a_bowl():
    wins = 0
    for seed in range(5):
        rng = np.random.default_rng(seed)
        local = LocalSearch(SPACE, {"x": -4.0, "lr": 0.5, "n": 1}, rng)
        best_local = np.inf
        for _ in range(150):
            config = local.propose()
            loss = bowl(config)
            local.observe(config, loss)
            best_local = min(best_local, loss)
        best_random = min(
            bowl(sample(SPACE, np.random.default_rng(seed + 100))) for _ in range(150)
        )
        wins += best_local < best_random
        assert best_local < 0.1
    assert wins >= 4


def test_starts_with_every_low_cost_config_then_defaults():
    families = [family("a"), family("b", defaults={"x": 0.0, "lr": 0.1, "n": 10})]
    searcher = Searcher(families, seed=0)
    seen = []
    for _ in range(4):
        proposal = searcher.suggest()
        seen.append((proposal.family, proposal.origin))
        searcher.observe(proposal, bowl(proposal.config), 1.0)
    assert seen[:2] == [("a", "low_cost"), ("b", "low_cost")]
    # a's defaults equal its low_cost config, so they are not tried twice
    assert ("b", "defaults") in seen[2:]
    assert ("a", "defaults") not in seen


def test_defaults_come_strongest_tabular_learner_first_whatever_the_cheap_scores():
    other = {"x": 0.0, "lr": 0.1, "n": 10}
    names = ["glm", "knn", "lightgbm", "extra_trees"]
    searcher = Searcher([family(n, defaults=other) for n in names], seed=0, cost="trials")
    cheap_loss = {"glm": 0.0, "knn": 1.0, "lightgbm": 5.0, "extra_trees": 9.0}  # glm looks best
    defaults = []
    for _ in range(8):
        proposal = searcher.suggest()
        if proposal.origin == "defaults":
            defaults.append(proposal.family)
        searcher.observe(proposal, cheap_loss[proposal.family], 1.0)
    assert defaults == ["lightgbm", "extra_trees", "glm", "knn"]


def test_budget_flows_to_the_family_that_improves():
    good, bad = family("good"), family("bad")
    searcher = Searcher([good, bad], seed=0)

    def objective(proposal):
        return bowl(proposal.config) + (0.0 if proposal.family == "good" else 10.0)

    run(searcher, objective, 80)
    assert searcher.states["good"].trials > 2 * searcher.states["bad"].trials
    assert searcher.states["good"].best_loss < 0.5


def test_plain_random_search_skips_cheap_configs_defaults_and_samples_families_uniformly():
    good, bad = family("good"), family("bad")
    searcher = Searcher(
        [good, bad],
        seed=0,
        strategy="random",
        starting_points={"bad": {"x": 0.0}},
        n_train_rows=1_000_000,
    )
    proposals = []

    def objective(proposal):
        proposals.append(proposal)
        return bowl(proposal.config) + (0.0 if proposal.family == "good" else 10.0)

    run(searcher, objective, 80)
    assert (proposals[0].family, proposals[0].origin) == ("bad", "start")  # asked for: kept
    assert {p.origin for p in proposals[1:]} == {"search"}
    assert {p.sample_size for p in proposals} == {None}  # every trial on all rows
    assert 30 <= searcher.states["bad"].trials <= 50  # no budget flows to the better family


def test_a_failing_family_is_retired_and_the_other_goes_on():
    searcher = Searcher([family("ok"), family("broken")], seed=0)
    run(searcher, lambda p: None if p.family == "broken" else bowl(p.config), 30)
    assert "broken" in searcher.retired()
    assert searcher.states["broken"].trials == 3
    assert searcher.states["ok"].trials == 27


def test_max_trials_and_seed_make_runs_reproducible():
    def trace(seed):
        searcher = Searcher([family("a"), family("b")], seed=seed, max_trials=25, cost="trials")
        out = []
        while (proposal := searcher.suggest()) is not None:
            out.append((proposal.family, tuple(sorted(proposal.config.items()))))
            searcher.observe(proposal, bowl(proposal.config), 1.0)
        return out

    assert len(trace(3)) == 25
    assert trace(3) == trace(3)
    assert trace(3) != trace(4)


def test_no_config_is_proposed_twice():
    space = {"k": Categorical(("a", "b", "c")), "n": Int(1, 3)}
    searcher = Searcher(
        [family("tiny", space, {"k": "a", "n": 1})], seed=0, max_trials=9, cost="trials"
    )
    seen = []
    while (proposal := searcher.suggest()) is not None:
        seen.append(tuple(sorted(proposal.config.items())))
        searcher.observe(proposal, 1.0, 1.0)
    assert len(seen) == len(set(seen))
    assert len(seen) >= 6


@pytest.mark.parametrize("seed", [0, 1])
def test_resumed_searcher_skips_journaled_configs(seed):
    families = [family("a"), family("b")]
    first = Searcher(families, seed=seed)
    done = []
    for _ in range(3):
        proposal = first.suggest()
        first.observe(proposal, bowl(proposal.config), 1.0)
        done.append(proposal)
    resumed = Searcher(families, seed=seed)
    for proposal in done:
        resumed.observe(proposal, bowl(proposal.config), 1.0)
    following = resumed.suggest()
    assert following.config not in [p.config for p in done if p.family == following.family]


def test_an_expensive_family_is_skipped_not_the_whole_search():
    searcher = Searcher([family("cheap"), family("dear")], seed=0)
    for _ in range(2):
        proposal = searcher.suggest()
        searcher.observe(
            proposal, bowl(proposal.config), 1.0 if proposal.family == "cheap" else 50.0
        )
    picks = set()
    for _ in range(10):
        proposal = searcher.suggest(max_cost=5.0)
        picks.add(proposal.family)
        searcher.observe(proposal, bowl(proposal.config), 1.0)
    assert picks == {"cheap"}
    assert searcher.suggest(max_cost=0.5) is None


def test_a_familys_alternatives_come_after_the_defaults_then_the_strategy_takes_over():
    alternatives = ({"x": 1.0, "lr": 0.01, "n": 30}, {"x": 2.0, "lr": 0.02, "n": 20})
    declared = family("a", defaults={"x": 0.0, "lr": 0.1, "n": 10})
    declared = Family(**{**vars(declared), "alternatives": alternatives})
    searcher = Searcher([declared], seed=0, cost="trials")
    proposals = []
    run(searcher, lambda p: proposals.append(p) or bowl(p.config), 6)
    assert [p.origin for p in proposals[:4]] == ["low_cost", "defaults", *["alternative"] * 2]
    assert [p.config for p in proposals[2:4]] == list(alternatives)
    assert {p.origin for p in proposals[4:]} == {"search"}
    # the strategy moves on from the best config seen, here the first alternative
    assert searcher.states["a"].best_config == alternatives[0]


def test_plain_random_search_and_a_resumed_run_skip_the_alternatives():
    alternative = {"x": 1.0, "lr": 0.01, "n": 30}
    declared = Family(**{**vars(family("a")), "alternatives": (alternative,)})
    plain = Searcher([declared], seed=0, strategy="random", cost="trials")
    assert all(plain.suggest().origin == "search" for _ in range(5))
    resumed = Searcher([declared], seed=0, cost="trials")
    resumed.observe(Proposal("a", alternative, "journal"), 0.5, 1.0)
    proposals = [resumed.suggest() for _ in range(4)]
    assert alternative not in [p.config for p in proposals]

"""Training-sample size as a fidelity: the searcher's side (no data, no workers)."""

from dataclasses import replace

import pytest
from objectives import BOWL, bowl, one_family

from fitfinder.search.searcher import Searcher

LOW_COST = {"x": -4.0, "y": 4.0, "n": 1}
LARGE = 200_000  # training rows of the largest fold: 10k -> 40k -> 160k -> all (None)


def families():
    family = one_family(BOWL, LOW_COST)
    return [family, replace(family, name="g", defaults={"x": 0.0, "y": 0.0, "n": 10})]


def searcher(n_train_rows=LARGE, seed=0, **options):
    return Searcher(families(), seed=seed, cost="trials", n_train_rows=n_train_rows, **options)


def step(search, loss):
    proposal = search.suggest()
    search.observe(proposal, loss, 1.0)
    return proposal


def trace(search, trials):
    """(family, config, origin, sample_size) of each trial on a size-aware bowl."""
    out = []
    for _ in range(trials):
        proposal = search.suggest()
        size = proposal.sample_size or LARGE
        search.observe(proposal, bowl(proposal.config) + 1e4 / size, 1.0)
        out.append((proposal.family, sorted(proposal.config.items()), proposal.origin, size))
    return out


def test_cheap_seeded_and_default_trials_all_start_at_ten_thousand_rows():
    search = searcher(starting_points={"g": {"x": 1.0}})
    seen = [step(search, 10.0 - i) for i in range(5)]  # every trial improves: no growth
    assert [(p.family, p.origin) for p in seen[:4]] == [
        ("f", "low_cost"),
        ("g", "low_cost"),
        ("g", "start"),
        ("g", "defaults"),  # f's defaults are its cheap config, tried already
    ]
    assert seen[4].origin == "search"
    assert {p.sample_size for p in seen} == {10_000}


def test_three_trials_without_improvement_grow_the_sample_fourfold_best_config_first():
    search = Searcher([one_family(BOWL, LOW_COST)], seed=0, cost="trials", n_train_rows=LARGE)
    best = step(search, 1.0)
    in_flight = [search.suggest() for _ in range(4)]
    for proposal in in_flight[:3]:
        search.observe(proposal, 2.0, 1.0)  # the third non-improving trial grows the sample
    search.observe(in_flight[3], 2.0, 1.0)  # still at 10k rows: does not count at 40k
    regrown = step(search, 1.5)  # not better than 1.0: the first of three at 40k
    assert (regrown.origin, regrown.config, regrown.sample_size) == ("grow", best.config, 40_000)
    assert [step(search, 2.0).sample_size for _ in range(2)] == [40_000, 40_000]
    regrown = step(search, 0.5)  # 160k rows; improves, so three more are needed
    assert (regrown.origin, regrown.config, regrown.sample_size) == ("grow", best.config, 160_000)
    assert [step(search, 2.0).sample_size for _ in range(3)] == [160_000] * 3
    regrown = step(search, 0.4)  # 640k > 200k rows: all of them
    assert (regrown.origin, regrown.config, regrown.sample_size) == ("grow", best.config, None)
    assert {step(search, 2.0).sample_size for _ in range(10)} == {None}
    assert {p.origin for p in [search.suggest() for _ in range(5)]} == {"search"}


@pytest.mark.parametrize("n_train_rows", [None, 40_000, 12_000])
def test_small_data_never_samples_and_searches_as_before(n_train_rows):
    sampled = trace(searcher(n_train_rows), 40)
    assert {size for *_, size in sampled} == {LARGE}  # sample_size None throughout
    assert sampled == trace(Searcher(families(), seed=0, cost="trials"), 40)


def test_same_seed_same_sizes_and_configs():
    first = trace(searcher(seed=3), 60)
    assert first == trace(searcher(seed=3), 60)
    assert first != trace(searcher(seed=4), 60)
    sizes = [size for *_, size in first]
    assert sizes[0] == 10_000 and 40_000 in sizes  # grew on the way


def resumed_from(done):
    search = searcher()
    for proposal, loss in done:
        search.observe(replace(proposal, origin="journal"), loss, 1.0)
    return search


def test_a_resumed_search_keeps_the_sizes_and_re_evaluates_only_what_is_not_journaled():
    original, done = searcher(), []
    for _ in range(40):
        proposal = original.suggest()
        loss = bowl(proposal.config) + 1e4 / (proposal.sample_size or LARGE)
        original.observe(proposal, loss, 1.0)
        done.append((proposal, loss))
    sizes = {name: state.sample_size for name, state in original.states.items()}
    assert {n: s.sample_size for n, s in resumed_from(done).states.items()} == sizes
    grow = next(i for i, (proposal, _) in enumerate(done) if proposal.origin == "grow")
    assert resumed_from(done[:grow]).suggest() == done[grow][0]  # killed before it ran
    assert resumed_from(done[: grow + 1]).suggest().origin != "grow"  # journaled: not again

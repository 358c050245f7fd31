"""The zero-shot portfolio: shipped, valid in every family's space, tried right after the
cheap starts, and off with ``portfolio=False``."""

import pytest

from fitfinder import AutoML
from fitfinder.estimators import FAMILIES
from fitfinder.estimators.base import TASKS
from fitfinder.search.portfolio import load_portfolio, portfolio_configs
from fitfinder.search.searcher import make_searcher
from fitfinder.search.space import config_problem


def test_the_shipped_portfolio_covers_every_task_and_says_how_it_was_built():
    shipped = load_portfolio()
    assert shipped["built_by"] == "scripts/build_portfolio.py"
    for task in TASKS:
        assert shipped["portfolio"][task], f"no {task} portfolio"
        assert len(shipped["datasets"][task]) >= 2
        assert set(shipped["validation"][task]) == set(shipped["datasets"][task])


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_portfolio_config_is_complete_and_valid_in_its_family_space(name):
    family = FAMILIES[name]
    for task, by_family in load_portfolio()["portfolio"].items():
        configs = by_family.get(name, [])
        assert not configs or family.serves(task)
        assert len(configs) <= 3
        for config in configs:
            assert set(config) == set(family.space)
            assert config_problem(family.space, config) is None
            assert config not in (family.low_cost, family.defaults)  # those run anyway


def origins(searcher, n):
    out = []
    for _ in range(n):
        proposal = searcher.suggest()
        out.append(proposal.origin)
        searcher.observe(proposal, 1.0, 1.0)
    return out


@pytest.mark.parametrize("task", TASKS)
def test_portfolio_configs_come_right_after_the_cheap_starts_before_defaults(task):
    families = [f for f in FAMILIES.values() if f.serves(task)]
    portfolio = portfolio_configs(task, families)
    searcher = make_searcher(families, portfolio=portfolio, reproducible=True)
    n, k = len(families), sum(map(len, portfolio.values()))
    assert origins(searcher, n + k + 1) == ["low_cost"] * n + ["portfolio"] * k + ["defaults"]


def test_a_fit_tries_the_portfolio_right_after_the_cheap_start(breast_cancer):
    train, _ = breast_cancer
    shipped = load_portfolio()["portfolio"]["binary"]
    name = min(shipped, key=lambda n: FAMILIES[n].cost)
    automl = AutoML(
        time_budget=None,
        max_trials=2,
        estimators=[name],
        split="holdout",
        verbose=0,
        portfolio=True,
    ).fit(train, target="target")
    assert automl.journal_.trials(automl.run_id_)[1].config == shipped[name][0]
    # the default (off; CLI --no-portfolio) is checked end to end in tests/e2e/test_cli.py

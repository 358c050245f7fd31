"""The zero-shot portfolio: per task and family, a few configs learned offline, tried early.

``portfolio.json`` is built by ``scripts/build_portfolio.py`` from the public datasets in
``../shared/datasets`` only (see the README's "Warm starts" section for how and with what).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from importlib import resources

from fitfinder.estimators.base import Family
from fitfinder.search.space import Config, config_problem

log = logging.getLogger("fitfinder")

PORTFOLIO_FILE = "portfolio.json"


@cache
def load_portfolio() -> dict:
    """The shipped portfolio file: build settings, validation numbers, and the configs."""
    return json.loads(resources.files(__package__).joinpath(PORTFOLIO_FILE).read_text())


def portfolio_configs(task: str, families: list[Family]) -> dict[str, list[Config]]:
    """The portfolio's configs for ``task``, for the families searched, best first."""
    shipped = load_portfolio()["portfolio"].get(task, {})
    configs = {}
    for family in families:
        for config in shipped.get(family.name, []):
            if problem := config_problem(family.space, config):
                log.warning(
                    "portfolio config for %s skipped (%s): rebuild the portfolio",
                    family.name,
                    problem,
                )
            else:
                configs.setdefault(family.name, []).append(config)
    return configs

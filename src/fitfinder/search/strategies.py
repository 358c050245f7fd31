"""The search strategies selectable with ``search=``: one within-family proposer each.

Family selection (which family gets the next trial) is the same for every strategy but plain
``random`` and lives in :mod:`fitfinder.search.searcher`; a strategy decides which config to
try *within* a family.
Every proposer has two verbs, ``propose() -> config | None`` (None: nothing left to try) and
``observe(config, loss | None)``.

``auto`` is the default: local moves with 15 % random configs (measured against the others in
``bench/SEARCH_RESULTS.md``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from fitfinder.errors import ConfigError
from fitfinder.search.space import Config, Space

STRATEGIES = ("auto", "random", "grid", "tpe", "bo", "local", "blend")
AUTO_RANDOM_SHARE = 0.15
BLEND_GLOBAL_SHARE = 0.3


class Proposer(Protocol):
    """Proposes configs inside one space and learns from their losses."""

    def propose(self) -> Config | None: ...

    def observe(self, config: Config, loss: float | None) -> None: ...


def check_strategy(name: str) -> str:
    """``name`` if it is a known strategy; otherwise a ConfigError listing the valid ones."""
    if name not in STRATEGIES:
        raise ConfigError(
            f"unknown search strategy {name!r}; choose one of {', '.join(STRATEGIES)}"
        )
    return name


def make_proposer(name: str, space: Space, start: Config, rng: np.random.Generator) -> Proposer:
    """The proposer of strategy ``name`` for one space; ``start`` seeds local searches."""
    from fitfinder.search.bayes import OptunaSearch
    from fitfinder.search.blend import Blend
    from fitfinder.search.grid import GridSearch
    from fitfinder.search.local import LocalSearch
    from fitfinder.search.random import RandomSearch

    check_strategy(name)
    if name == "random":
        return RandomSearch(space, rng)
    if name == "grid":
        return GridSearch(space, rng)
    if name in ("tpe", "bo"):
        return OptunaSearch(space, "tpe" if name == "tpe" else "gp", _seed(rng))
    local = LocalSearch(space, start, rng)
    if name == "local":
        return local
    if name == "blend":
        return Blend(local, OptunaSearch(space, "tpe", _seed(rng)), BLEND_GLOBAL_SHARE, rng)
    return Blend(local, RandomSearch(space, rng), AUTO_RANDOM_SHARE, rng)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))

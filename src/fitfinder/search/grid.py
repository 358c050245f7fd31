"""Grid search over a discretised space, visited in a seeded shuffled order.

Categorical dimensions keep every choice; integer dimensions keep up to ``levels`` values and
real dimensions ``levels`` evenly spaced points of the unit cube (log-spaced where declared).
A user grid is a space of categorical dimensions (``choice([...])``), enumerated exactly.
"""

from __future__ import annotations

import math

import numpy as np

from fitfinder.search.space import Categorical, Config, Dimension, Int, Space

LEVELS = 5
SHUFFLE_LIMIT = 1_000_000  # larger grids are sampled without replacement instead of permuted


class GridSearch:
    """Each grid point once, in a random order fixed by ``rng``; None when all are tried."""

    def __init__(self, space: Space, rng: np.random.Generator, levels: int = LEVELS):
        self.axes = {name: _axis(dim, levels) for name, dim in space.items()}
        self.rng = rng
        self.size = math.prod(len(values) for values in self.axes.values())
        self._order = rng.permutation(self.size) if self.size <= SHUFFLE_LIMIT else None
        self._seen: set[int] = set()

    def propose(self) -> Config | None:
        index = self._next_index()
        if index is None:
            return None
        self._seen.add(index)
        config = {}
        for name, values in self.axes.items():
            index, position = divmod(index, len(values))
            config[name] = values[position]
        return config

    def observe(self, config: Config, loss: float | None) -> None:
        """The grid's order does not depend on results."""

    def _next_index(self) -> int | None:
        if len(self._seen) >= self.size:
            return None
        if self._order is not None:
            return int(self._order[len(self._seen)])
        while (index := int(self.rng.integers(self.size))) in self._seen:
            pass
        return index


def _axis(dim: Dimension, levels: int) -> list:
    """The values a dimension takes on the grid (no duplicates, in increasing order)."""
    if isinstance(dim, Categorical):
        return list(dim.choices)
    if isinstance(dim, Int) and dim.high - dim.low + 1 <= levels:
        return list(range(int(dim.low), int(dim.high) + 1))
    values = [dim.from_unit((i + 0.5) / levels) for i in range(levels)]
    return list(dict.fromkeys(values))

"""Random search: every config drawn uniformly from the family's unit cube."""

from __future__ import annotations

import numpy as np

from fitfinder.search.space import Config, Space, sample


class RandomSearch:
    """Independent uniform draws (log-uniform on log-scaled dimensions); learns nothing."""

    def __init__(self, space: Space, rng: np.random.Generator):
        self.space, self.rng = space, rng

    def propose(self) -> Config:
        return sample(self.space, self.rng)

    def observe(self, config: Config, loss: float | None) -> None:
        """Random search ignores results."""

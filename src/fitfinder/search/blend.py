"""Blending a local search with a global proposer (the idea of FLAML's BlendSearch).

Most proposals are local moves around the family's incumbent; a share of them comes from a
global proposer (random sampling, or a TPE model). Both learn from every result, and a global
proposal that beats the local centre becomes the new centre, so the global searcher supplies
starting points that the local search refines.
"""

from __future__ import annotations

import numpy as np

from fitfinder.search.space import Config


class Blend:
    """Local moves, or with probability ``share`` (always before any success) a global one."""

    def __init__(self, local, explore, share: float, rng: np.random.Generator):
        self.local, self.explore, self.share, self.rng = local, explore, share, rng
        self._succeeded = False

    def propose(self) -> Config | None:
        if self._succeeded and self.rng.random() >= self.share:
            return self.local.propose()
        return self.explore.propose()

    def observe(self, config: Config, loss: float | None) -> None:
        if loss is not None and np.isfinite(loss):
            self._succeeded = True
        self.local.observe(config, loss)
        self.explore.observe(config, loss)

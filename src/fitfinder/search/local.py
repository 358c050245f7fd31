"""Cost-frugal local search inside one family's space (the idea of FLAML's FLOW2).

It starts at the family's cheap config and moves in random directions of the unit cube: a
move that improves becomes the new centre; after a failed move the opposite direction is tried;
after enough failures the step shrinks, and when the step is tiny the search restarts from a
random point near the best one found.
"""

from __future__ import annotations

import numpy as np

from fitfinder.search.space import Config, Space, from_unit, to_unit

STEP_INITIAL = 0.1
STEP_MIN = 0.005
STEP_MAX = 0.5


class LocalSearch:
    """Randomised direct search around an incumbent config, in unit-cube coordinates."""

    def __init__(self, space: Space, start: Config, rng: np.random.Generator):
        self.space = space
        self.rng = rng
        self.dim = max(len(space), 1)
        self.step = STEP_INITIAL * np.sqrt(self.dim)
        self.center = to_unit(space, start) if space else np.zeros(0)
        self.center_loss = np.inf
        self._direction: np.ndarray | None = None
        self._failures = 0
        self._tried_opposite = False

    def propose(self) -> Config:
        """The next config to try: the opposite of a failed move, or a fresh random direction."""
        if not self.space:
            return {}
        if self._direction is not None and not self._tried_opposite:
            self._tried_opposite = True
            return self._at(-self._direction)
        self._direction = self._random_direction()
        self._tried_opposite = False
        return self._at(self._direction)

    def observe(self, config: Config, loss: float | None) -> None:
        """Move to ``config`` if it improves on the centre; otherwise count a failure."""
        if not self.space:
            return
        if loss is not None and loss < self.center_loss:
            improved_from_start = np.isfinite(self.center_loss)
            self.center, self.center_loss = to_unit(self.space, config), loss
            self._direction, self._failures = None, 0
            if improved_from_start:
                self.step = min(self.step * 1.2, STEP_MAX * np.sqrt(self.dim))
            return
        self._failures += 1
        if self._failures >= 2 * self.dim:
            self.step *= 0.5
            self._failures = 0
        if self.step < STEP_MIN * np.sqrt(self.dim):
            self._restart()

    def _at(self, direction: np.ndarray) -> Config:
        return from_unit(self.space, np.clip(self.center + self.step * direction, 0.0, 1.0))

    def _random_direction(self) -> np.ndarray:
        vector = self.rng.normal(size=self.dim)
        return vector / (np.linalg.norm(vector) or 1.0)

    def _restart(self) -> None:
        self.center = np.clip(self.center + self.rng.normal(scale=0.25, size=self.dim), 0.0, 1.0)
        self.center_loss = np.inf
        self.step = STEP_INITIAL * np.sqrt(self.dim)
        self._direction, self._failures = None, 0

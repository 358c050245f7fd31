"""Search-space dimensions: sampling, and a unit-cube view for local moves.

A space is a plain ``dict[str, Dimension]``. Every dimension maps its values to and from
``[0, 1]`` (log-scaled where declared) so searchers can move in one geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

Config = dict[str, Any]


@dataclass(frozen=True)
class Float:
    """A real-valued hyperparameter in ``[low, high]``, log-scaled when ``log``."""

    low: float
    high: float
    log: bool = False

    def to_unit(self, value: float) -> float:
        lo, hi, v = self._scaled(self.low), self._scaled(self.high), self._scaled(value)
        return float(np.clip((v - lo) / (hi - lo), 0.0, 1.0)) if hi > lo else 0.0

    def from_unit(self, u: float) -> float:
        lo, hi = self._scaled(self.low), self._scaled(self.high)
        v = lo + float(np.clip(u, 0.0, 1.0)) * (hi - lo)
        value = math.exp(v) if self.log else v
        return float(min(max(value, self.low), self.high))

    def _scaled(self, value: float) -> float:
        return math.log(value) if self.log else float(value)

    def describe(self) -> str:
        return f"float [{self.low:g}, {self.high:g}]" + (" log" if self.log else "")


@dataclass(frozen=True)
class Int(Float):
    """An integer hyperparameter in ``[low, high]``, log-scaled when ``log``."""

    def to_unit(self, value: float) -> float:
        lo, hi = self._scaled(self.low - 0.5), self._scaled(self.high + 0.5)
        return float(np.clip((self._scaled(value) - lo) / (hi - lo), 0.0, 1.0))

    def from_unit(self, u: float) -> int:
        lo, hi = self._scaled(self.low - 0.5), self._scaled(self.high + 0.5)
        v = lo + float(np.clip(u, 0.0, 1.0)) * (hi - lo)
        value = math.exp(v) if self.log else v
        return int(min(max(round(value), self.low), self.high))

    def _scaled(self, value: float) -> float:
        return math.log(max(value, 1e-12)) if self.log else float(value)

    def describe(self) -> str:
        return f"int [{int(self.low)}, {int(self.high)}]" + (" log" if self.log else "")


@dataclass(frozen=True)
class Quantized(Float):
    """A real-valued hyperparameter in ``[low, high]`` rounded to multiples of ``q``."""

    q: float = 1.0

    def from_unit(self, u: float) -> float:
        value = round(round(super().from_unit(u) / self.q) * self.q, 12)
        return float(min(max(value, self.low), self.high))

    def describe(self) -> str:
        return super().describe() + f" step {self.q:g}"


@dataclass(frozen=True)
class Categorical:
    """A choice among ``choices`` (any JSON-serialisable values)."""

    choices: tuple

    def to_unit(self, value: Any) -> float:
        index = self.choices.index(value) if value in self.choices else 0
        return (index + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> Any:
        index = min(int(float(np.clip(u, 0.0, 1.0)) * len(self.choices)), len(self.choices) - 1)
        return self.choices[index]

    def describe(self) -> str:
        return "choice " + ", ".join(map(str, self.choices))


Dimension = Float | Int | Quantized | Categorical
Space = dict[str, Dimension]


def sample(space: Space, rng: np.random.Generator) -> Config:
    """Draw one configuration uniformly in the unit cube (so log dims are log-uniform)."""
    return {name: dim.from_unit(rng.random()) for name, dim in space.items()}


def to_unit(space: Space, config: Config) -> np.ndarray:
    """The config as a point in ``[0, 1]^d``, in the order of ``space``."""
    return np.array([dim.to_unit(config[name]) for name, dim in space.items()], dtype=float)


def from_unit(space: Space, point: np.ndarray) -> Config:
    """The configuration at a point of ``[0, 1]^d``."""
    return {name: dim.from_unit(u) for (name, dim), u in zip(space.items(), point, strict=True)}


def config_problem(space: Space, config: Config) -> str | None:
    """Why ``config`` (possibly partial) does not fit ``space``, or None when it does."""
    for name, value in config.items():
        dim = space.get(name)
        if dim is None:
            return f"{name!r} is not a parameter of its space (one of {', '.join(space)})"
        if isinstance(dim, Categorical):
            if value not in dim.choices:
                return f"{name}={value!r} is not one of {', '.join(map(str, dim.choices))}"
        elif not _in_range(dim, value):
            return f"{name}={value!r} is outside {dim.describe()}"
    return None


def _in_range(dim: Float, value: Any) -> bool:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    whole = not isinstance(dim, Int) or (numeric and float(value).is_integer())
    return numeric and whole and dim.low <= value <= dim.high


def describe(space: Space) -> dict[str, str]:
    """A readable description of each dimension, for ``fitfinder families``."""
    return {name: dim.describe() for name, dim in space.items()}

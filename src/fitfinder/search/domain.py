"""Search spaces for ``fitfinder.tune``: helpers, nested dicts and conditional choices.

A tune space is a dict whose values are dimensions (``uniform(0, 1)``), constants, nested
dicts, or ``choice([...])``; a choice whose options are dicts of sub-spaces is conditional.
:class:`FlatSpace` maps it to a flat :data:`~fitfinder.search.space.Space` that every search
strategy understands (a conditional choice becomes a categorical of option indices plus the
options' dimensions, named ``key[i].sub``) and maps flat configs back to nested ones. The
dimensions of options not chosen are still proposed, and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fitfinder.errors import ConfigError
from fitfinder.search.space import Categorical, Config, Float, Int, Quantized, Space, from_unit

PRIMITIVE = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Choice:
    """A choice among options that are not all plain values (dicts are conditional sub-spaces)."""

    options: tuple


def uniform(low: float, high: float) -> Float:
    """A real value, uniform in ``[low, high]``."""
    _check_bounds(low, high, "uniform")
    return Float(float(low), float(high))


def loguniform(low: float, high: float) -> Float:
    """A positive real value, uniform in log scale in ``[low, high]``."""
    _check_bounds(low, high, "loguniform", positive=True)
    return Float(float(low), float(high), log=True)


def quniform(low: float, high: float, q: float) -> Quantized:
    """A real value in ``[low, high]`` rounded to a multiple of ``q``."""
    _check_bounds(low, high, "quniform")
    if q <= 0:
        raise ConfigError(f"quniform step q must be positive, got {q}; give q > 0")
    return Quantized(float(low), float(high), q=float(q))


def randint(low: int, high: int) -> Int:
    """An integer in ``[low, high)`` (upper bound excluded, as in Ray Tune and FLAML)."""
    _check_bounds(low, high - 1, "randint", allow_equal=True)
    return Int(int(low), int(high) - 1)


def lograndint(low: int, high: int) -> Int:
    """A positive integer in ``[low, high)``, uniform in log scale."""
    _check_bounds(low, high - 1, "lograndint", positive=True, allow_equal=True)
    return Int(int(low), int(high) - 1, log=True)


def choice(options: list) -> Categorical | Choice:
    """One of ``options``; options that are dicts are sub-spaces searched when chosen."""
    options = tuple(options)
    if not options:
        raise ConfigError("choice() got no options; give at least one")
    if all(isinstance(o, PRIMITIVE) for o in options) and len(set(options)) == len(options):
        return Categorical(options)
    return Choice(options)


class FlatSpace:
    """A tune space flattened for the searchers, and its way back to nested configs."""

    def __init__(self, space: dict):
        if not isinstance(space, dict):
            raise ConfigError(f"a tune space is a dict of dimensions, got {type(space).__name__}")
        self.template = space
        self.dims: Space = {}
        _collect(space, "", self.dims)

    def config(self, flat: Config) -> dict:
        """The nested config the objective receives for a flat config."""
        return _build(self.template, "", flat)

    def start(self, low_cost: dict | None) -> Config:
        """The first flat config: the centre of the space, overridden by ``low_cost``."""
        centre = from_unit(self.dims, np.full(len(self.dims), 0.5))
        return {**centre, **_partial(self.template, "", low_cost or {}, self.dims)}


def _collect(node: dict, prefix: str, dims: Space) -> None:
    for key, value in node.items():
        name = prefix + str(key)
        if isinstance(value, Float | Categorical):
            dims[name] = value
        elif isinstance(value, Choice):
            dims[name] = Categorical(tuple(range(len(value.options))))
            for i, option in enumerate(value.options):
                if isinstance(option, dict):
                    _collect(option, f"{name}[{i}].", dims)
        elif isinstance(value, dict):
            _collect(value, name + ".", dims)


def _build(node: dict, prefix: str, flat: Config) -> dict:
    out: dict[str, Any] = {}
    for key, value in node.items():
        name = prefix + str(key)
        if isinstance(value, Float | Categorical):
            out[key] = flat[name]
        elif isinstance(value, Choice):
            index = flat[name]
            option = value.options[index]
            is_space = isinstance(option, dict)
            out[key] = _build(option, f"{name}[{index}].", flat) if is_space else option
        elif isinstance(value, dict):
            out[key] = _build(value, name + ".", flat)
        else:
            out[key] = value
    return out


def _partial(node: dict, prefix: str, given: dict, dims: Space) -> Config:
    """Flat values for the parts of a nested (partial) config that name dimensions."""
    flat: Config = {}
    for key, value in given.items():
        name, template = prefix + str(key), node.get(key)
        if isinstance(template, dict) and isinstance(value, dict):
            flat.update(_partial(template, name + ".", value, dims))
        elif isinstance(template, Choice):
            if value not in template.options:
                raise ConfigError(f"low_cost gives {name!r} a value that is not one of its options")
            flat[name] = template.options.index(value)
        elif name in dims:
            flat[name] = value
        else:
            raise ConfigError(f"low_cost names {name!r}, which is not a dimension of the space")
    return flat


def _check_bounds(low, high, what: str, positive: bool = False, allow_equal: bool = False) -> None:
    if high < low or (high == low and not allow_equal):
        raise ConfigError(f"{what}({low}, {high}): low must be below high; swap or widen them")
    if positive and low <= 0:
        raise ConfigError(f"{what}({low}, {high}) is log-scaled: low must be positive")

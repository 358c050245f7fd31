"""Fitted preprocessing reused across trials: one fit per (style, training rows) in a worker.

A family's preprocessing depends only on the schema and its style, never on the config, so
every trial of every family with the same style on the same fold would refit the very same
transformer. On wide or text data that refit costs more than the model itself. The cache
keeps the fitted transformer and its output per (style, rows) and the transformed validation
rows, bounded in bytes, least recently used first out. Cached matrices are read-only, so a
model that tried to change its input in place would fail loudly instead of corrupting them.
``saved`` counts the seconds that hits saved, so a trial can report what fitting its pipeline
from scratch costs (what a final refit on new rows will pay).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_BYTES = 1 << 30


class FeatureCache:
    """Fitted transformers and transformed rows of one (constant) training table."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[Any, int, float]] = OrderedDict()
        self._bytes = 0
        self.saved = 0.0

    def __getstate__(self) -> dict:
        return {"max_bytes": self.max_bytes}  # ship the limit, never the contents

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["max_bytes"])

    def fit_transform(
        self, style: str, rows: np.ndarray, fit: Callable[[], tuple[Any, np.ndarray]]
    ) -> tuple[Any, np.ndarray]:
        """``fit()``'s (fitted transformer, output) for ``rows``, computed once per style."""
        return self._get(("fit", style, _digest(rows)), fit)

    def transform(
        self, style: str, train: np.ndarray, rows: np.ndarray, transform: Callable[[], np.ndarray]
    ) -> np.ndarray:
        """``transform()``'s output for ``rows`` under the transformer fitted on ``train``."""
        return self._get(("transform", style, _digest(train), _digest(rows)), transform)

    def _get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key in self._entries:
            self._entries.move_to_end(key)
            value, _, seconds = self._entries[key]
            self.saved += seconds
            return value
        tick = time.perf_counter()
        value = compute()
        seconds = time.perf_counter() - tick
        size = _freeze(value)
        if size <= self.max_bytes // 4:
            self._entries[key] = (value, size, seconds)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped, _) = self._entries.popitem(last=False)
                self._bytes -= dropped
        return value

    def __len__(self) -> int:
        return len(self._entries)


def _digest(rows: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(rows).tobytes(), digest_size=16).hexdigest()


def _freeze(value: Any) -> int:
    """Make the value's arrays read-only; their size in bytes."""
    arrays = [v for v in (value if isinstance(value, tuple) else (value,)) if hasattr(v, "nbytes")]
    for array in arrays:
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
    return sum(int(a.nbytes) for a in arrays)

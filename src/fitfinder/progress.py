"""Live progress of a search on the terminal (rich), silent when ``verbose=0``."""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.text import Text


class Progress:
    """One status line: elapsed vs budget, trials done, best score so far and its family."""

    def __init__(self, budget: float | None, metric: str, enabled: bool = True):
        self.budget, self.metric, self.enabled = budget, metric, enabled
        self.start = time.monotonic()
        self.trials = self.failed = 0
        self.best: tuple[float, str] | None = None
        self.console = Console(stderr=True)
        self._live: Live | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._live = Live(
                self._line(), console=self.console, refresh_per_second=4, transient=False
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.update(self._line())
            self._live.__exit__(*exc)

    def trial(self, ok: bool, best_score: float | None, best_family: str | None) -> None:
        self.trials += 1
        self.failed += 0 if ok else 1
        if best_score is not None and best_family is not None:
            self.best = (best_score, best_family)
        if self._live is not None:
            self._live.update(self._line())

    def say(self, message: str) -> None:
        if self.enabled:
            self.console.print(message)

    def _line(self) -> Text:
        elapsed = time.monotonic() - self.start
        budget = f"/{self.budget:.0f}s" if self.budget else "s"
        best = (
            f"best {self.metric} {self.best[0]:.5g} ({self.best[1]})"
            if self.best
            else "no result yet"
        )
        failed = f", {self.failed} failed" if self.failed else ""
        return Text(f"fitfinder  {elapsed:5.1f}{budget}  trials {self.trials}{failed}  {best}")

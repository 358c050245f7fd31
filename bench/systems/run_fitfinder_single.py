"""fitfinder's AutoML with ``ensemble=False``: the best single trial, the ensemble baseline."""

from __future__ import annotations

from functools import partial

from common import run
from run_fitfinder import fit, journal_curve

if __name__ == "__main__":
    run(partial(fit, ensemble=False), journal_curve)

"""fitfinder's AutoML with plain random search (``search="random"``), the strategy baseline."""

from __future__ import annotations

from functools import partial

from common import run
from run_fitfinder import fit, journal_curve

if __name__ == "__main__":
    run(partial(fit, search="random"), journal_curve)

"""fitfinder's AutoML without the ``nn`` family: the baseline for what nn adds to ensembles."""

from __future__ import annotations

from functools import partial

from common import run
from run_fitfinder import fit, journal_curve

if __name__ == "__main__":
    run(partial(fit, leave_out=("nn",)), journal_curve)

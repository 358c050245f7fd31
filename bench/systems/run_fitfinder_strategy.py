"""fitfinder's AutoML with the spec's ``search=`` strategy (the fitfinder_<strategy> systems;
fitfinder_random is plain random search, the strategy baseline)."""

from __future__ import annotations

from common import run
from run_fitfinder import fit, journal_curve


def fit_with_strategy(X_train, y_train, spec: dict):
    return fit(X_train, y_train, spec, search=spec["search"])


if __name__ == "__main__":
    run(fit_with_strategy, journal_curve)

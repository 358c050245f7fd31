"""fitfinder: AutoML for tables — the best algorithm and hyperparameters within your time budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["AutoML", "FittedModel", "load", "read_run", "tune", "__version__"]

if TYPE_CHECKING:
    from fitfinder.automl import AutoML
    from fitfinder.model import FittedModel, load
    from fitfinder.report.run import read_run
    from fitfinder.tuning import tune


def __getattr__(name: str):
    """Import the public API on first use, so ``import fitfinder`` and the CLI start fast."""
    if name == "AutoML":
        from fitfinder.automl import AutoML

        return AutoML
    if name in ("FittedModel", "load"):
        from fitfinder import model

        return getattr(model, name)
    if name == "read_run":
        from fitfinder.report.run import read_run

        return read_run
    if name == "tune":
        from fitfinder.tuning import tune

        return tune
    raise AttributeError(f"module 'fitfinder' has no attribute {name!r}")

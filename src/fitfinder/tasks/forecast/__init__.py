"""Time-series forecasting: single series and panels, with covariates (needs ``[forecast]``).

The task lives in :mod:`fitfinder.tasks.forecast.task`; this package imports nothing eagerly,
so that the family registry can read the forecasting families without loading the task.
"""

# The family registry lists the forecasting families: load it first, so that importing one of
# them directly does not find the registry half-built.
import fitfinder.estimators  # noqa: F401

"""Learning to rank: items grouped by query, a graded relevance each, ranked by a score.

The task lives in :mod:`fitfinder.tasks.rank.task`; this package imports nothing eagerly, so
that the family registry can read the ranking families without loading the task.
"""

# The family registry lists the ranking families: load it first, so that importing one of them
# directly does not find the registry half-built.
import fitfinder.estimators  # noqa: F401

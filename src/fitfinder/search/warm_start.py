"""Warm start: seed a search with the best configs of an earlier run on similar data."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from fitfinder.ensemble.build import ENSEMBLE_FAMILY
from fitfinder.errors import ConfigError
from fitfinder.estimators.base import Family
from fitfinder.search.space import Config, config_problem
from fitfinder.storage import Journal, TrialRecord, default_url

log = logging.getLogger("fitfinder")

WARM_START_PER_FAMILY = 3


def warm_start_configs(
    source: str | os.PathLike,
    task: str,
    families: list[Family],
    per_family: int = WARM_START_PER_FAMILY,
) -> dict[str, list[Config]]:
    """The best configs per family of the last run journaled at ``source``, a ``task`` fit.

    ``source`` is a model directory holding ``journal.db``, a journal file or a database URL.
    """
    with Journal(journal_url(source)) as journal:
        run = journal.latest_run()
        if run is None:
            raise ConfigError(
                f"warm_start {source}: the journal holds no run; give a fit's journal"
            )
        earlier = run.settings.get("task")
        if earlier != task:
            raise ConfigError(
                f"warm_start {source}: its run is a {earlier} fit, this one is {task}; "
                f"warm-start from a {task} run or drop warm_start"
            )
        records = journal.trials(run.id)
    return best_configs(records, families, per_family)


def journal_url(source: str | os.PathLike) -> str:
    """The database URL behind ``source``; ConfigError when there is no journal there."""
    text = str(source)
    path = Path(text)
    url = text if "://" in text else default_url(path) if path.is_dir() else _file_url(path)
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    missing = parsed is None or (
        parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file()
    )
    if missing:
        raise ConfigError(
            f"warm_start {text}: no journal there; give a model directory holding journal.db, "
            "a journal .db file or a database URL"
        )
    return url


def best_configs(
    records: list[TrialRecord], families: list[Family], per_family: int
) -> dict[str, list[Config]]:
    """Each family's best distinct finished configs, best first, that fit its space."""
    spaces = {family.name: family.space for family in families}
    best: dict[str, list[Config]] = {}
    skipped: dict[str, str] = {}
    for record in sorted(_finished(records), key=lambda r: r.loss):
        if record.family not in spaces:
            skipped[record.family] = "the family is not in this search"
        elif problem := config_problem(spaces[record.family], record.config):
            skipped[record.family] = problem
        else:
            kept = best.setdefault(record.family, [])
            if len(kept) < per_family and record.config not in kept:
                kept.append(record.config)
    for family, reason in skipped.items():
        log.warning("warm start skipped %s configs: %s", family, reason)
    return best


def _finished(records: list[TrialRecord]) -> list[TrialRecord]:
    return [
        r
        for r in records
        if r.status == "done"
        and r.loss is not None
        and math.isfinite(r.loss)
        and r.family != ENSEMBLE_FAMILY
    ]


def _file_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"

"""The leaderboard: every trial of a run, best first."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd

COLUMNS = [
    "rank",
    "trial",
    "family",
    "score",
    "loss",
    "fit_time",
    "predict_time",
    "sample_size",
    "status",
    "config",
    "error",
]


def leaderboard(records: Iterable, metric) -> pd.DataFrame:
    """Rank finished trials by loss (failed ones last); logged metrics become extra columns.

    ``metric`` is a :class:`fitfinder.metrics.Metric` or a metric name; the score column is
    named after it. ``sample_size`` (training rows per fold, empty for all) is shown only when
    some trial fit on a sample.
    """
    rows = [_row(r) for r in records]
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"] + ["_logged"])
    logged = pd.json_normalize(table.pop("_logged").tolist()) if rows else pd.DataFrame()
    table = pd.concat([table, logged.add_prefix("logged.")], axis=1)
    done = table["status"].eq("done")
    table = pd.concat(
        [table[done].sort_values(["loss", "trial"]), table[~done].sort_values("trial")],
        ignore_index=True,
    )
    table.insert(0, "rank", range(1, len(table) + 1))
    sampled = table.pop("sample_size")
    if sampled.notna().any():
        table.insert(table.columns.get_loc("status"), "sample_size", sampled.astype("Int64"))
    return table.rename(columns={"score": getattr(metric, "name", metric)})


def _row(record) -> dict:
    return {
        "trial": record.number,
        "family": record.family,
        "score": record.score,
        "loss": record.loss,
        "fit_time": record.fit_time,
        "predict_time": record.predict_time,
        "sample_size": record.sample_size,
        "status": record.status,
        "config": json.dumps(record.config, sort_keys=True),
        "error": record.error,
        "_logged": record.metrics or {},
    }

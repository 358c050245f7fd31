"""What ``fitfinder leaderboard`` and ``fitfinder info`` print, for a run in any state."""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import pandas as pd

from fitfinder.errors import ConfigError
from fitfinder.report.run import FINISHED, JOURNAL_NAME, RunView, locate, read_run


def state_line(view: RunView) -> str:
    """One line: the run's state, trials, elapsed time against the budget and the best so far."""
    budget = f" of {view.budget:.0f} s" if view.budget else ""
    best = view.best()
    leader = f"; best {view.metric} {best.score:.5g} ({best.family})" if best else ""
    return (
        f"run {view.run.id} {view.state}: {len(view.trials)} trials, "
        f"{view.elapsed():.0f} s{budget}{leader}"
    )


def leaderboard_view(source: str | os.PathLike, top: int | None) -> tuple[RunView, pd.DataFrame]:
    """The run behind ``source`` (a saved model's own run when it is a model directory) and its
    leaderboard, best first, cut to ``top`` rows."""
    view = read_run(source, _saved_run_id(source))
    table = view.leaderboard()
    return view, table.head(top) if top else table


def table_text(table: pd.DataFrame) -> str:
    shown = table.drop(columns=["error"]).copy()
    shown["config"] = shown["config"].str.slice(0, 60)
    return shown.to_string(index=False, float_format=lambda v: f"{v:.5g}")


def info_view(source: str | os.PathLike) -> dict:
    """A finished model's description (with its size and latency), else the run's summary."""
    folder = Path(source)
    if not ((folder / "model.json").is_file() and not (folder / JOURNAL_NAME).is_file()):
        view = read_run(source, _saved_run_id(source))
        if view.state != FINISHED or view.model_dir is None:
            return view.summary()
        folder = view.model_dir
    from fitfinder.model import load  # a finished model, saved with or without its journal

    model = load(folder)
    description = {"state": FINISHED, **model.description()}
    description["size_on_disk_mb"] = round(_folder_mb(folder), 3)
    sample = getattr(model, "sample", None)  # rows to time predict on (tables)
    if sample is not None and len(sample):
        description["predict_ms_per_row"] = _latency(model)
    return description


def info_text(description: dict) -> str:
    return "\n".join(f"{key}: {value}" for key, value in description.items())


def _saved_run_id(source: str | os.PathLike) -> int | None:
    """The run a model directory's model.json came from (None: take the latest run)."""
    _, folder = locate(source)
    description = None if folder is None else folder / "model.json"
    if description is None or not description.is_file():
        return None
    try:
        return json.loads(description.read_text()).get("run_id")
    except ValueError as exc:
        raise ConfigError(f"{description} is not valid JSON ({exc}); re-save the model") from exc


def _folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def _latency(model: Any) -> dict:
    """Median milliseconds per row of ``predict``: one row at a time, and the sample as a batch."""

    def timed(rows) -> float:
        runs = []
        for _ in range(15):
            start = time.perf_counter()
            model.predict(rows)
            runs.append((time.perf_counter() - start) * 1000 / len(rows))
        return round(statistics.median(runs), 4)

    return {
        "single_row": timed(model.sample.head(1)),
        f"batch_of_{len(model.sample)}": timed(model.sample),
    }

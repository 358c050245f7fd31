"""What every forecast system script shares: read the spec, time fit and predict, write outputs.

Imported by scripts running in fitfinder's Python and in the AutoGluon-TimeSeries venv, so it
uses only pandas and the standard library.

Spec (JSON): train (parquet: the training part with every column the system may see: id,
time, target, known and past covariates, static columns), future (parquet: id, time and the
known covariates of the test window; null: forecast without it), target, time_column,
id_column, known_covariates, past_covariates, horizon, freq and season_length (the
manifest's), budget (s, null when not budgeted), seed, out_dir; the statsforecast script also
reads model, max_points and approximation.

Outputs in out_dir: forecast.parquet (id and time columns as in the data, ``forecast`` and,
when the system gives an 80 % interval, ``q10`` and ``q90``) and meta.json (``fit_time_s``,
``predict_time_s`` and what the system reports about itself, e.g. ``best``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

#: fit(train, spec) -> a fitted object
Fit = Callable[[pd.DataFrame, dict], Any]
#: predict(fitted, train, future or None, spec) -> the forecast frame
Predict = Callable[[Any, pd.DataFrame, pd.DataFrame | None, dict], pd.DataFrame]
#: describe(fitted, spec) -> facts for meta.json (best model, trials, ...)
Describe = Callable[[Any, dict], dict]
OUTPUT_COLUMNS = ("forecast", "q10", "q90")


def run(
    fit: Fit,
    predict: Predict,
    describe: Describe | None = None,
    warm_up: Callable[[pd.DataFrame, dict], None] | None = None,
) -> None:
    """Load the spec named on the command line, time ``fit`` and ``predict``, save both.

    ``warm_up`` runs before the clock starts (e.g. to compile numba code on a small series).
    """
    spec = json.loads(Path(sys.argv[1]).read_text())
    out_dir = Path(spec["out_dir"])
    train = pd.read_parquet(spec["train"])
    future = pd.read_parquet(spec["future"]) if spec.get("future") else None
    if warm_up is not None:
        warm_up(train, spec)
    start = time.perf_counter()
    model = fit(train, spec)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    forecast = predict(model, train, future, spec)
    predict_time = time.perf_counter() - start
    keys = [c for c in (spec["id_column"], spec["time_column"]) if c]
    columns = keys + [c for c in OUTPUT_COLUMNS if c in forecast.columns]
    forecast[columns].to_parquet(out_dir / "forecast.parquet", index=False)
    info = {"fit_time_s": fit_time, "predict_time_s": predict_time}
    if describe is not None:
        info |= describe(model, spec)
    (out_dir / "meta.json").write_text(json.dumps(info, default=str))

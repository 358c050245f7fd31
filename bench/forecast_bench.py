"""Forecasting benchmark: fitfinder vs statsforecast's automatic models vs AutoGluon-TimeSeries
on the shared forecast datasets (``compare``), and the panel scale check (``scale``).

    python bench/forecast_bench.py                                    # compare at 60 s and 300 s
    python bench/forecast_bench.py --budgets 10 --only air_passengers prison_population
    python bench/forecast_bench.py --systems fitfinder statsforecast --out /tmp/forecast_bench
    python bench/forecast_bench.py --part scale                       # 10,000 series x 200, 300 s
    python bench/forecast_bench.py --part scale --series 300 --length 100 --budget 30
    python bench/forecast_bench.py --systems fitfinder --budgets 30 --pseudo-test 1  # no test rows

compare: each series' last ``horizon`` rows are the test window, every system sees the rest
(known covariates' test-window values at predict time, past covariates' never); score = MASE
per series (test MAE over the training part's in-sample seasonal-naive MAE with the manifest's
seasonal period), averaged over series. fitfinder and AutoGluon run once per budget, each in a
subprocess (a crash or a timeout is that system's failure); statsforecast's AutoETS,
AutoARIMA, AutoTheta and SeasonalNaive run once per dataset with no budget, and the lowest of
their test MASEs is the "best in hindsight" reference. Results: forecast_results.csv and
forecast_results.md in --out. scale: a synthetic daily panel through AutoML(task="forecast",
horizon=14) with the peak resident memory of the process tree; forecast_scale.csv.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from run_bench import LINGER_S, _last_line, _stop_group, lock_out
from venvs import ensure_python

BENCH = Path(__file__).resolve().parent
DEFAULT_DATASETS = BENCH.parent.parent / "shared" / "datasets"
PARTS = ("compare", "scale")
SYSTEMS = ("fitfinder", "statsforecast", "autogluon")
STATS_MODELS = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive")
SEASONAL_NAIVE = "statsforecast:SeasonalNaive"
AUTOGLUON_VENV = "autogluon-ts"
#: covariates known in advance (the protocol's choice); every other covariate is a past one
KNOWN = {"vic_elec_demand": ("WorkDay", "Temperature"), "aus_accommodation": ("CPI",)}
SAMPLE_S = 0.5  # how often the process tree's memory is sampled
#: the subprocess environment: unbuffered logs, and no model hub (nothing may download)
ENV = {"PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
SCALE_FIELDS = [
    "series", "length", "horizon", "budget", "wall_s", "budget_kept", "peak_rss_mb", "n_trials",
    "n_done", "best", "status", "error", "process_s", "predict_s", "load_1m",
]  # fmt: skip


class Parser(argparse.ArgumentParser):
    """Usage errors are one line on stderr and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


@dataclass
class Row:
    """One (dataset, budget, system) row of forecast_results.csv.

    ``budget`` is None for statsforecast (fitted once per dataset, no budget); ``wall_s`` is
    the system's fit() wall time, measured by its script around that call.
    """

    dataset: str
    budget: float | None
    system: str  # fitfinder, autogluon, statsforecast:<model>
    mase: float | None = None
    wall_s: float | None = None
    budget_kept: bool | None = None
    coverage80: float | None = None
    best: str = ""  # fitfinder's best family, AutoGluon's best model, the statsforecast model
    status: str = "ok"  # ok, failed, timeout
    error: str = ""
    process_s: float | None = None
    predict_s: float | None = None
    peak_rss_mb: float | None = None
    n_trials: int | None = None
    note: str = ""
    load_1m: float | None = None


CSV_FIELDS = [f.name for f in fields(Row)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = Parser(
        prog="forecast_bench.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--part", choices=PARTS, default="compare")
    p.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    p.add_argument("--only", nargs="+", help="forecast dataset names (default: all five)")
    p.add_argument("--budgets", type=float, nargs="+", default=[60.0, 300.0])
    p.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("/tmp/forecast_bench"))
    p.add_argument(
        "--arima-points",
        type=int,
        default=2000,
        help="AutoARIMA sees each series' last N training points (0: all)",
    )
    p.add_argument(
        "--arima-exact",
        action="store_true",
        help="AutoARIMA's search without approximations even on long or high-frequency series",
    )
    p.add_argument(
        "--stats-timeout",
        type=float,
        default=900.0,
        help="seconds before a statsforecast model is killed (status timeout)",
    )
    p.add_argument(
        "--pseudo-test",
        type=int,
        default=0,
        metavar="K",
        help="drop each series' last K horizons first, so the test window lies inside the "
        "training part (for choosing defaults without the reported test rows)",
    )
    p.add_argument("--series", type=int, default=10_000, help="scale: number of series")
    p.add_argument("--length", type=int, default=200, help="scale: points per series")
    p.add_argument("--budget", type=float, default=300.0, help="scale: the time budget (s)")
    args = p.parse_args(argv)
    if min(args.budgets) <= 0 or args.budget <= 0:
        p.error("budgets must be positive seconds")
    if args.series < 1 or args.length < 30:
        p.error("--series must be >= 1 and --length >= 30 (the horizon is 14)")
    args.parser = p
    return args


# ------------------------------------------------------------------ protocol
def split_series(frame: pd.DataFrame, entry: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training part, test window): each series' last ``horizon`` rows by time are the test."""
    keys = [entry["id_column"], entry["time_column"]]
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    from_end = frame.groupby(entry["id_column"], sort=False).cumcount(ascending=False)
    test = (from_end < entry["horizon"]).to_numpy()
    return frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)


def seasonal_naive_scale(train: pd.DataFrame, entry: dict) -> pd.Series:
    """Per series: the mean absolute in-sample seasonal-naive error of its training part."""
    ids = train[entry["id_column"]]
    change = train.groupby(ids, sort=False)[entry["target"]].diff(entry["seasonal_period"])
    return change.abs().groupby(ids, sort=False).mean()


def score_forecast(
    train: pd.DataFrame, test: pd.DataFrame, forecast: pd.DataFrame, entry: dict
) -> tuple[float, float | None]:
    """(MASE averaged over series, share of test truths inside [q10, q90] or None).

    Every test row needs a finite forecast (else ValueError). A series whose scale is zero or
    undefined (constant, or no longer than a season) has no MASE and is left out of the mean.
    """
    id_col, time_col = entry["id_column"], entry["time_column"]
    keys = [id_col, time_col]
    truth = test[[*keys, entry["target"]]].astype({id_col: str})
    joined = truth.merge(forecast.astype({id_col: str}), on=keys, how="left", validate="1:1")
    missing = int((~np.isfinite(joined["forecast"].to_numpy(float))).sum())
    if missing:
        raise ValueError(f"no finite forecast for {missing} of {len(joined)} test rows")
    y = joined[entry["target"]].to_numpy(float)
    error = pd.Series(np.abs(y - joined["forecast"].to_numpy(float)))
    mae = error.groupby(joined[id_col].to_numpy(), sort=False).mean()
    scale = seasonal_naive_scale(train, entry)
    scale.index = scale.index.astype(str)
    per_series = mae / scale.reindex(mae.index)
    per_series = per_series[np.isfinite(per_series)]
    if per_series.empty:
        raise ValueError("no series has a seasonal-naive scale")
    coverage = None
    if {"q10", "q90"} <= set(joined.columns):
        low, high = joined["q10"].to_numpy(float), joined["q90"].to_numpy(float)
        if np.isfinite(low).all() and np.isfinite(high).all():
            coverage = float(np.mean((y >= low) & (y <= high)))
    return float(per_series.mean()), coverage


def budget_kept(wall_s: float | None, budget: float) -> bool | None:
    """fit() wall time within budget + max(2 s, 5 %) (None when there is no wall time)."""
    return None if wall_s is None else wall_s <= budget + max(2.0, 0.05 * budget)


def forecast_entries(manifest: dict, only: list[str] | None, parser: Parser) -> list[dict]:
    """The manifest's forecast datasets (those named by --only); unknown names: usage error."""
    entries = [e for e in manifest["datasets"] if e["task"] == "forecast"]
    unknown = sorted(set(only or []) - {e["name"] for e in entries})
    if unknown:
        names = ", ".join(e["name"] for e in entries)
        parser.error(f"unknown forecast dataset(s) {', '.join(unknown)}; choose from {names}")
    return [e for e in entries if not only or e["name"] in only]


# ------------------------------------------------------------------ running a system
def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def launch(python: str, script: Path, spec_path: Path, log: Path, timeout: float) -> tuple:
    """Run a system script in its own session, sampling its process tree's memory.

    (returncode or None on timeout, process seconds, leftover children killed, peak RSS MB).
    """
    start = time.perf_counter()
    peak = 0
    with log.open("w") as out:
        proc = subprocess.Popen(
            [python, str(script), str(spec_path)], stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, **ENV},
        )  # fmt: skip
        watched = psutil.Process(proc.pid)
        while (rc := proc.poll()) is None and time.perf_counter() - start < timeout:
            peak = max(peak, tree_rss(watched))
            time.sleep(SAMPLE_S)
        leftover = _stop_group(proc.pid, grace=0.0 if rc is None else LINGER_S)
        proc.wait()
    return rc, time.perf_counter() - start, leftover, peak / 2**20


def run_system(
    row: Row, script: str, python: str | Exception, spec: dict, timeout: float
) -> tuple[pd.DataFrame | None, dict]:
    """Run one system on one spec; fill ``row``'s timings and status; (forecast, meta)."""
    if isinstance(python, Exception):
        row.status, row.error = "failed", f"environment: {python}"[:300]
        return None, {}
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_path, log = out_dir / "spec.json", out_dir / "log.txt"
    row.load_1m = os.getloadavg()[0]
    spec_path.write_text(json.dumps(spec))
    rc, row.process_s, leftover, row.peak_rss_mb = launch(
        python, BENCH / "systems" / script, spec_path, log, timeout
    )
    if rc is None:
        row.status, row.error = "timeout", f"killed after {timeout:.0f} s"
        return None, {}
    if rc != 0:
        row.status, row.error = "failed", _last_line(log)
        return None, {}
    if leftover:
        row.error = f"child processes still running {LINGER_S:g} s after exit (killed)"
    try:
        meta = json.loads((out_dir / "meta.json").read_text())
        forecast = pd.read_parquet(out_dir / "forecast.parquet")
    except (OSError, ValueError) as exc:
        row.status, row.error = "failed", f"no readable output: {exc}"[:300]
        return None, {}
    row.wall_s, row.predict_s = meta["fit_time_s"], meta["predict_time_s"]
    row.best = str(meta.get("best", ""))
    row.n_trials = meta.get("n_trials")
    if row.budget is not None:
        row.budget_kept = budget_kept(row.wall_s, row.budget)
    return forecast, meta


def score_row(row: Row, forecast: pd.DataFrame | None, data: dict, entry: dict) -> None:
    """MASE and coverage into ``row``; a forecast that cannot be scored marks it failed."""
    if forecast is None:
        return
    try:
        row.mase, row.coverage80 = score_forecast(data["train"], data["test"], forecast, entry)
    except (KeyError, ValueError, TypeError) as exc:
        row.status, row.error = "failed", f"scoring: {exc}"[:300]


# ------------------------------------------------------------------ compare
def base_spec(entry: dict, work: Path, seed: int) -> dict:
    """What every system's spec holds for a dataset (train and future parquet in ``work``)."""
    known = list(KNOWN.get(entry["name"], ()))
    return {
        "train": str(work / "train.parquet"), "future": str(work / "future.parquet"),
        "target": entry["target"], "time_column": entry["time_column"],
        "id_column": entry["id_column"], "known_covariates": known,
        "past_covariates": [c for c in entry.get("covariates", []) if c not in known],
        "horizon": entry["horizon"], "freq": entry["frequency"],
        "season_length": entry["seasonal_period"], "seed": seed,
    }  # fmt: skip


def prepare_dataset(entry: dict, folder: Path, work: Path, pseudo_test: int = 0) -> dict:
    """Split a dataset, write the training part and the test window's known covariates;
    ``pseudo_test`` horizons are cut from each series' end first."""
    frame = pd.read_parquet(folder / entry["file"])
    for _ in range(pseudo_test):
        frame, _ = split_series(frame, entry)
    train, test = split_series(frame, entry)
    work.mkdir(parents=True, exist_ok=True)
    train.to_parquet(work / "train.parquet", index=False)
    keys = [entry["id_column"], entry["time_column"]]
    test[[*keys, *KNOWN.get(entry["name"], ())]].to_parquet(work / "future.parquet", index=False)
    return {"train": train, "test": test}


def _progress(row: Row) -> None:
    budget = "—" if row.budget is None else f"{row.budget:g}s"
    print(
        f"  {row.dataset:<20} budget {budget:>5}  {row.system:<28} {row.status:<8} "
        f"MASE={_num(row.mase)}  fit={_num(row.wall_s)}s  {row.best}",
        flush=True,
    )


def run_statsforecast(entry, data, spec, args) -> list[Row]:
    """The four reference models, each its own subprocess with a timeout."""
    rows = []
    work = Path(spec["train"]).parent
    for model in STATS_MODELS:
        row = Row(entry["name"], None, f"statsforecast:{model}")
        arima = model == "AutoARIMA"
        limit = args.arima_points if arima else 0
        longest = int(data["train"].groupby(entry["id_column"]).size().max())
        notes = []
        if limit and longest > limit:
            notes.append(f"fitted on each series' last {limit} points")
        # R's auto.arima rule: search with approximations on long or high-frequency series
        seen = min(longest, limit or longest)
        approximation = (
            arima and not args.arima_exact and (seen > 150 or spec["season_length"] > 12)
        )
        if approximation:
            notes.append("approximation=True")
        row.note = ", ".join(notes)
        model_spec = spec | {
            "model": model,
            "max_points": limit or None,
            "approximation": approximation,
            "budget": None,
            "out_dir": str(work / "statsforecast" / model),
        }
        forecast, _ = run_system(
            row, "run_statsforecast.py", sys.executable, model_spec, args.stats_timeout
        )
        score_row(row, forecast, data, entry)
        _progress(row)
        rows.append(row)
    return rows


def run_budgeted(system, entry, data, spec, budget, python) -> Row:
    """fitfinder or AutoGluon at one budget, killed after budget x 3 + 120 s."""
    row = Row(entry["name"], budget, system)
    script = {"fitfinder": "run_fitfinder_forecast.py", "autogluon": "run_autogluon_forecast.py"}
    work = Path(spec["train"]).parent
    system_spec = spec | {"budget": budget, "out_dir": str(work / f"{budget:g}" / system)}
    forecast, meta = run_system(row, script[system], python, system_spec, 3 * budget + 120)
    score_row(row, forecast, data, entry)
    if system == "autogluon" and meta:
        row.note = "models: " + " ".join(meta.get("models", []))
    _progress(row)
    return row


def autogluon_python() -> str | Exception:
    """The AutoGluon-TimeSeries venv's python, created on first use; the error if it fails."""
    try:
        return str(ensure_python(AUTOGLUON_VENV))
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        return exc


def compare(args: argparse.Namespace, entries: list[dict]) -> list[Row]:
    """Every dataset: statsforecast once, then each budget's fitfinder and AutoGluon runs."""
    pythons = {"fitfinder": sys.executable}
    if "autogluon" in args.systems:
        pythons["autogluon"] = autogluon_python()
    rows: list[Row] = []
    for entry in entries:
        work = args.out / "work" / entry["name"]
        data = prepare_dataset(entry, args.datasets, work, args.pseudo_test)
        spec = base_spec(entry, work, args.seed)
        if "statsforecast" in args.systems:
            rows += run_statsforecast(entry, data, spec, args)
        for budget in args.budgets:
            for system in ("fitfinder", "autogluon"):
                if system in args.systems:
                    rows.append(run_budgeted(system, entry, data, spec, budget, pythons[system]))
        write_csv(args.out / "forecast_results.csv", rows)  # after each dataset
    return rows


def write_csv(path: Path, rows: list[Row]) -> None:
    frame = pd.DataFrame([asdict(r) for r in rows], columns=CSV_FIELDS)
    frame.astype({"n_trials": "Int64"}).to_csv(path, index=False)


# ------------------------------------------------------------------ tables and summary
def _num(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _mase(row: Row | None) -> str:
    if row is None:
        return "—"
    return _num(row.mase) if row.status == "ok" else row.status


def best_in_hindsight(rows: list[Row], dataset: str) -> Row | None:
    """The statsforecast model with the lowest test MASE on ``dataset`` (None if none ran)."""
    scored = [
        r
        for r in rows
        if r.dataset == dataset
        and r.system.startswith("statsforecast:")
        and r.status == "ok"
        and r.mase is not None
    ]
    return min(scored, key=lambda r: r.mase, default=None)


def _find(rows: list[Row], dataset: str, system: str, budget: float | None = None) -> Row | None:
    for r in rows:
        if r.dataset == dataset and r.system == system and (budget is None or r.budget == budget):
            return r
    return None


def _ok(row: Row | None) -> bool:
    return row is not None and row.status == "ok" and row.mase is not None


def _beats(ours: Row | None, theirs: Row | None) -> bool:
    """Strictly lower MASE; a failed or missing side is never a win for the other."""
    return _ok(ours) and _ok(theirs) and ours.mase < theirs.mase


def _datasets(rows: list[Row]) -> list[str]:
    return list(dict.fromkeys(r.dataset for r in rows))


def budget_table(rows: list[Row], budget: float) -> list[str]:
    """The side-by-side table at one budget."""
    lines = [
        f"### Budget {budget:g} s",
        "",
        "| dataset | fitfinder MASE | fitfinder family | best statsforecast (which) "
        "| AutoGluon MASE | seasonal naive MASE | fitfinder wall / budget | AutoGluon wall "
        "| coverage 80 %: fitfinder / AutoGluon |",
        "|" + "---|" * 9,
    ]
    for dataset in _datasets(rows):
        ff = _find(rows, dataset, "fitfinder", budget)
        ag = _find(rows, dataset, "autogluon", budget)
        best = best_in_hindsight(rows, dataset)
        sn = _find(rows, dataset, SEASONAL_NAIVE)
        which = "—" if best is None else f"{best.mase:.3f} ({best.system.split(':')[1]})"
        wall = "—"
        if ff is not None and ff.wall_s is not None:
            wall = f"{ff.wall_s:.1f} / {budget:g}" + ("" if ff.budget_kept else " (over)")
        ag_wall = "—" if ag is None or ag.wall_s is None else f"{ag.wall_s:.1f}"
        cover = " / ".join(_num(r.coverage80, 2) if r else "—" for r in (ff, ag))
        cells = [
            dataset,
            _mase(ff),
            ff.best if _ok(ff) else "—",
            which,
            _mase(ag),
            _mase(sn),
            wall,
            ag_wall,
            cover,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def stats_table(rows: list[Row]) -> list[str]:
    """Each statsforecast model's MASE and fit seconds per dataset."""
    head = " | ".join(STATS_MODELS)
    lines = [
        "### statsforecast references (fitted once per dataset, no budget): MASE (fit s)",
        "",
        f"| dataset | {head} |",
        "|" + "---|" * (len(STATS_MODELS) + 1),
    ]
    for dataset in _datasets(rows):
        cells = []
        for model in STATS_MODELS:
            r = _find(rows, dataset, f"statsforecast:{model}")
            cells.append(
                "—" if r is None else f"{_mase(r)} ({_num(r.wall_s, 1)})" + ("*" if r.note else "")
            )
        if any(c != "—" for c in cells):
            lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    notes = sorted(
        {f"{r.system}: {r.note}" for r in rows if r.system.startswith("statsforecast:") and r.note}
    )
    return lines + (["", *[f"\\* {n}" for n in notes]] if notes else [])


def summary_line(rows: list[Row], budget: float) -> str:
    """The SUMMARY line of one budget: fitfinder against each reference, coverage, time."""
    datasets = [d for d in _datasets(rows) if _find(rows, d, "fitfinder", budget)]
    n = len(datasets)
    ff = {d: _find(rows, d, "fitfinder", budget) for d in datasets}
    ag = {d: _find(rows, d, "autogluon", budget) for d in datasets}
    vs_stats = sum(_beats(ff[d], best_in_hindsight(rows, d)) for d in datasets)
    vs_ag = sum(_beats(ff[d], ag[d]) for d in datasets)
    ag_ran = [d for d in datasets if ag[d] is not None]
    ag_failed = sum(not _ok(ag[d]) for d in ag_ran)
    sn = {d: _find(rows, d, SEASONAL_NAIVE) for d in datasets}
    not_worse = sum(_ok(ff[d]) and _ok(sn[d]) and ff[d].mase <= sn[d].mase for d in datasets)
    failed = sum(not _ok(ff[d]) for d in datasets)
    covered = [ff[d].coverage80 for d in datasets if _ok(ff[d]) and ff[d].coverage80 is not None]
    coverage = f"{np.mean(covered):.2f} over {len(covered)}" if covered else "— over 0"
    kept = sum(bool(ff[d].budget_kept) for d in datasets)
    ag_kept = sum(bool(ag[d].budget_kept) for d in ag_ran)
    ag_part = f"{vs_ag}/{n} (AutoGluon failed on {ag_failed})" if ag_ran else "— (not run)"
    stats_ran = any(r.system.startswith("statsforecast:") for r in rows)
    stats_part = f"{vs_stats}/{n}" if stats_ran else "— (not run)"
    naive_part = f"{not_worse}/{n}" if stats_ran else "— (not run)"
    return (
        f"SUMMARY at {budget:g} s: fitfinder beats best-in-hindsight statsforecast on "
        f"{stats_part}, beats AutoGluon on {ag_part}, not worse than seasonal naive on "
        f"{naive_part} (fitfinder failed on {failed}); mean 80 % interval coverage {coverage} "
        f"datasets; budget kept on {kept}/{n}"
        + (f" (AutoGluon {ag_kept}/{len(ag_ran)})" if ag_ran else "")
    )


def markdown(rows: list[Row], budgets: list[float], notes: list[str] = ()) -> str:
    """Per budget the side-by-side table, then statsforecast's, failures, the SUMMARY lines."""
    lines = ["## Forecast benchmark", "", *notes, *([""] if notes else [])]
    for budget in budgets:
        if any(r.budget == budget for r in rows):
            lines += [*budget_table(rows, budget), ""]
    if any(r.system.startswith("statsforecast:") for r in rows):
        lines += [*stats_table(rows), ""]
    failures = [
        f"- {r.dataset}"
        + ("" if r.budget is None else f" at {r.budget:g} s")
        + f", {r.system}: {r.status}: {r.error}"
        for r in rows
        if r.status != "ok"
    ]
    if failures:
        lines += ["Failures:", *failures, ""]
    lines += summaries(rows, budgets)
    return "\n".join(lines) + "\n"


def summaries(rows: list[Row], budgets: list[float]) -> list[str]:
    return [summary_line(rows, b) for b in budgets if any(r.budget == b for r in rows)]


# ------------------------------------------------------------------ scale
def synthetic_panel(n_series: int, length: int, seed: int = 0) -> pd.DataFrame:
    """Daily series with weekly seasonality, a trend and noise; static columns, no covariates."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.lognormal(3.0, 1.0, n_series)
    trend = rng.normal(0.0, 0.002, n_series) * level
    amplitude = rng.uniform(0.05, 0.3, n_series) * level
    phase = rng.integers(0, 7, n_series)
    weekly = amplitude[:, None] * np.sin(2 * np.pi * (t[None, :] + phase[:, None]) / 7)
    noise = rng.normal(0.0, 0.05, (n_series, length)) * level[:, None]
    y = level[:, None] + trend[:, None] * t[None, :] + weekly + noise
    ids = np.array([f"s{i:05d}" for i in range(n_series)])
    statics = {
        "region": rng.choice(["north", "south", "east", "west"], n_series),
        "size": rng.choice(["S", "M", "L"], n_series),
        "area": rng.uniform(50, 500, n_series).round(1),
    }
    return pd.DataFrame(
        {
            "series_id": np.repeat(ids, length),
            "timestamp": np.tile(pd.date_range("2023-01-02", periods=length, freq="D"), n_series),
            "target": y.ravel(),
            **{name: np.repeat(values, length) for name, values in statics.items()},
        }
    )


def scale(args: argparse.Namespace) -> dict:
    """The panel through fitfinder in a subprocess; wall time, budget, peak memory, trials."""
    work = args.out / "work" / "scale"
    work.mkdir(parents=True, exist_ok=True)
    panel = synthetic_panel(args.series, args.length, args.seed)
    panel.to_parquet(work / "panel.parquet", index=False)
    horizon = 14
    spec = {
        "train": str(work / "panel.parquet"), "future": None, "target": "target",
        "time_column": "timestamp", "id_column": "series_id", "known_covariates": [],
        "past_covariates": [], "horizon": horizon, "freq": "D", "season_length": 7,
        "seed": args.seed, "budget": args.budget, "out_dir": str(work / "fitfinder"),
    }  # fmt: skip
    row = Row(f"synthetic {args.series}x{args.length}", args.budget, "fitfinder")
    forecast, meta = run_system(
        row, "run_fitfinder_forecast.py", sys.executable, spec, 3 * args.budget + 120
    )
    if forecast is not None and len(forecast) != args.series * horizon:
        row.status, row.error = (
            "failed",
            f"{len(forecast)} forecast rows, not {args.series * horizon}",
        )
    result = {
        "series": args.series, "length": args.length, "horizon": horizon, "budget": args.budget,
        "wall_s": row.wall_s, "budget_kept": row.budget_kept, "peak_rss_mb": row.peak_rss_mb,
        "n_trials": row.n_trials, "n_done": meta.get("n_done"), "best": row.best,
        "status": row.status, "error": row.error, "process_s": row.process_s,
        "predict_s": row.predict_s, "load_1m": row.load_1m,
    }  # fmt: skip
    pd.DataFrame([result], columns=SCALE_FIELDS).to_csv(
        args.out / "forecast_scale.csv", index=False
    )
    return result


def scale_report(result: dict) -> str:
    return (
        f"SCALE: {result['series']:,} series x {result['length']} points, horizon "
        f"{result['horizon']}, budget {result['budget']:g} s: {result['status']}"
        + (f" ({result['error']})" if result["error"] else "")
        + f"; fit wall {_num(result['wall_s'], 1)} s, budget kept "
        f"{'—' if result['budget_kept'] is None else 'yes' if result['budget_kept'] else 'NO'}; "
        f"peak RSS of the process tree {_num(result['peak_rss_mb'], 0)} MB; "
        f"trials {result['n_trials'] if result['n_trials'] is not None else '—'} "
        f"(done {result['n_done'] if result['n_done'] is not None else '—'}); "
        f"best family {result['best'] or '—'}; predict {_num(result['predict_s'], 1)} s; "
        f"process {_num(result['process_s'], 1)} s"
    )


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.part == "compare":
        manifest_path = args.datasets / "manifest.json"
        if not manifest_path.exists():
            print(f"benchmark skipped: no datasets at {args.datasets} (pass --datasets DIR)")
            return 0
        entries = forecast_entries(json.loads(manifest_path.read_text()), args.only, args.parser)
    args.out.mkdir(parents=True, exist_ok=True)
    lock = lock_out(args.out)
    if lock is None:
        print(
            f"another benchmark is using {args.out}; wait for it or pass another --out",
            file=sys.stderr,
        )
        return 2
    with lock:
        if args.part == "scale":
            result = scale(args)
            print(scale_report(result))
            print(f"wrote {args.out / 'forecast_scale.csv'}")
            return 0
        rows = compare(args, entries)
    search = (
        "exact order search"
        if args.arima_exact
        else (
            "order search with approximations on series over 150 points or seasons over 12 "
            "(R's auto.arima rule)"
        )
    )
    notes = [
        f"seed {args.seed}; AutoARIMA on each series' last {args.arima_points} training points "
        f"when longer, {search}; statsforecast models killed after {args.stats_timeout:g} s"
    ]
    text = markdown(rows, args.budgets, notes)
    (args.out / "forecast_results.md").write_text(text)
    print("\n" + text)
    print(f"wrote forecast_results.csv and forecast_results.md in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

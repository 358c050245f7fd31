"""The command line: a thin shell over the Python API. Flags carry the keyword names."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from fitfinder.errors import ConfigError, FitfinderError
from fitfinder.search.pruners import PRUNERS
from fitfinder.search.strategies import STRATEGIES

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fitfinder`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.ERROR if args.quiet else logging.WARNING, format="%(message)s"
    )
    try:
        return args.handler(args) or 0
    except FitfinderError as exc:
        print(f"fitfinder: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "fitfinder: interrupted; finished trials are in the journal (use --resume)",
            file=sys.stderr,
        )
        return 130


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors in one line (``fitfinder fit: error: ...; see ... --help``)
    instead of the whole usage text; exit status 2."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fitfinder", description="AutoML for tables.")
    from fitfinder import __version__

    parser.add_argument("--version", action="version", version=f"fitfinder {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _fit_parser(commands)
    predict = _command(commands, "predict", "predict with a saved model", _predict)
    predict.add_argument("model", help="model directory written by fit --out")
    predict.add_argument(
        "data",
        nargs="?",
        help="CSV or Parquet table with the training columns (forecasts: the future known "
        "covariates, or nothing)",
    )
    predict.add_argument("--history", help="forecasts: newer history to forecast from")
    predict.add_argument(
        "-o", "--output", help="where to write predictions (CSV); stdout if absent"
    )
    predict.add_argument("--proba", action="store_true", help="also write class probabilities")
    board = _command(commands, "leaderboard", "the trials of a run, going or done", _leaderboard)
    board.add_argument("model", help="model directory, journal file or database URL")
    board.add_argument("--top", type=int, default=None, help="show only the best N trials")
    board.add_argument(
        "--per-series",
        action="store_true",
        help="forecast models: each series' backtest MASE beside seasonal naive's, worst first",
    )
    info = _command(commands, "info", "what a saved model or a run is", _info)
    info.add_argument("model", help="model directory, journal file or database URL")
    _command(commands, "families", "the algorithm set and each family's search space", _families)
    _export_parser(commands)
    _serve_parser(commands)
    return parser


def _command(commands, name: str, help_text: str, handler) -> argparse.ArgumentParser:
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.add_argument("--quiet", action="store_true", help="no progress or notes")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.set_defaults(handler=handler)
    return sub


def _fit_parser(commands) -> None:
    fit = _command(commands, "fit", "search for the best model for a table", _fit)
    fit.add_argument("data", help="training table: CSV or Parquet")
    fit.add_argument("--target", required=True, help="the column to predict")
    fit.add_argument("--out", required=True, help="model directory to write (holds the journal)")
    fit.add_argument(
        "--time-budget", type=float, default=60.0, help="seconds for the whole fit (default 60)"
    )
    fit.add_argument("--metric", default="auto", help="metric to optimise (default: by task)")
    fit.add_argument(
        "--task",
        choices=["binary", "multiclass", "regression", "forecast", "rank"],
        help="override the inferred task (forecast, rank: see their flags)",
    )
    fit.add_argument(
        "--estimators", type=_names, help="comma-separated families to try (default: all)"
    )
    fit.add_argument("--max-trials", type=int, help="stop after this many trials")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument(
        "--search",
        choices=STRATEGIES,
        default="auto",
        help="search strategy within each family (default auto)",
    )
    fit.add_argument(
        "--starting-points",
        help="JSON file: family -> config or list of configs, tried right after the cheap starts",
    )
    fit.add_argument(
        "--warm-start",
        help="seed with an earlier run's best configs: its model directory, journal or URL",
    )
    _switch(fit, "--portfolio", False, "try the shipped zero-shot configs early")
    fit.add_argument(
        "--pruner",
        choices=PRUNERS,
        default="none",
        help="stop bad boosting and nn trials early on their first fold (default none)",
    )
    _switch(fit, "--sample", False, "large data: trials start on 10,000-row samples that grow")
    _switch(fit, "--recheck", True, "re-validate near-tied single trials on a second split")
    _switch(
        fit,
        "--tune-threshold",
        True,
        "F1-like metrics: tune the decision rule (binary cut-off, multiclass weights)",
    )
    fit.add_argument("--split", choices=["auto", "cv", "holdout"], default="auto")
    fit.add_argument("--n-folds", type=int, default=5)
    fit.add_argument("--holdout-fraction", type=float, default=0.2)
    fit.add_argument(
        "--cv-max-rows", type=int, default=10_000, help="auto split: CV up to this many rows"
    )
    fit.add_argument("--trial-time-limit", type=float, help="seconds one trial may take")
    fit.add_argument("--memory-limit-mb", type=float, help="memory one trial's worker may use")
    fit.add_argument("--n-jobs", type=int, help="threads per trial (default: all cores)")
    fit.add_argument(
        "--n-concurrent-trials", type=int, help="trials run side by side (default: one per core)"
    )
    fit.add_argument(
        "--ensemble",
        choices=["greedy", "stack", "none"],
        default="greedy",
        help="combine the best trials (default greedy)",
    )
    fit.add_argument("--max-members", type=int, default=10, help="largest ensemble (default 10)")
    fit.add_argument(
        "--refit",
        choices=["full", "folds"],
        default="full",
        help="final model: refit on all rows, or average fold models (CV)",
    )
    fit.add_argument("--storage", help="journal database URL (default: <out>/journal.db)")
    fit.add_argument("--resume", action="store_true", help="continue the journaled run in --out")
    fit.add_argument("--sample-weight", help="column holding row weights")
    fit.add_argument("--groups", help="column holding group ids for grouped validation")
    fit.add_argument(
        "--text-columns", type=_names, help="comma-separated free-text columns (default: detected)"
    )
    fit.add_argument(
        "--text-embeddings",
        metavar="PATH",
        help="dense text embeddings: a local model folder, 'full' (the bundled model, fully "
        "encoded; slow) or 'static' (default: the bundled model's token embeddings)",
    )
    _forecast_arguments(fit)
    group = fit.add_argument_group("ranking (--task rank)")
    group.add_argument("--group-column", help="the column of query ids (needed)")


def _forecast_arguments(fit: argparse.ArgumentParser) -> None:
    """The flags of ``--task forecast``."""
    group = fit.add_argument_group("forecasting (--task forecast)")
    group.add_argument("--horizon", type=int, help="steps to forecast (needed)")
    group.add_argument("--time-column", help="the column of timestamps (needed)")
    group.add_argument("--id-column", help="the column naming each series of a panel")
    group.add_argument(
        "--known-covariates", type=_names, help="comma-separated columns known in advance"
    )
    group.add_argument("--freq", help="pandas frequency, e.g. D, h, 30min, MS (default: inferred)")
    group.add_argument(
        "--seasonal-period",
        type=lambda text: [int(v) for v in _names(text)],
        help="seasonal period(s) in steps, comma-separated (default: from the frequency)",
    )
    group.add_argument(
        "--n-windows", type=int, help="backtest windows (default: cover the longest season, 3-7)"
    )
    group.add_argument("--window-step", type=int, help="steps between windows (default: horizon)")
    group.add_argument(
        "--quantile-levels",
        type=lambda text: [float(v) for v in _names(text)],
        help="quantiles to forecast, comma-separated (default 0.1,0.9)",
    )
    group.add_argument("--holidays-country", help="add public holidays of this country, e.g. US")


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _fit(args) -> int:
    from fitfinder import AutoML
    from fitfinder.data import read_table
    from fitfinder.model import JOURNAL_FILE

    table = read_table(args.data)
    weight = _pop_column(table, args.sample_weight, "--sample-weight")
    # --groups naming the ranking's query column too: validation by query, the default
    same = args.groups is not None and args.groups == args.group_column
    groups = None if same else _pop_column(table, args.groups, "--groups")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    automl = AutoML(
        time_budget=args.time_budget,
        metric=args.metric,
        task=args.task,
        estimators=args.estimators,
        max_trials=args.max_trials,
        seed=args.seed,
        split=args.split,
        n_folds=args.n_folds,
        holdout_fraction=args.holdout_fraction,
        cv_max_rows=args.cv_max_rows,
        trial_time_limit=args.trial_time_limit,
        memory_limit_mb=args.memory_limit_mb,
        n_jobs=args.n_jobs,
        n_concurrent_trials=args.n_concurrent_trials,
        ensemble=False if args.ensemble == "none" else args.ensemble,
        max_members=args.max_members,
        refit=args.refit,
        storage=args.storage or f"sqlite:///{(out / JOURNAL_FILE).resolve()}",
        resume=args.resume,
        verbose=0 if (args.quiet or args.json) else 1,
        search=args.search,
        pruner=args.pruner,
        starting_points=_read_json(args.starting_points, "--starting-points"),
        warm_start=args.warm_start,
        portfolio=args.portfolio,
        sample=args.sample,
        recheck=args.recheck,
        tune_threshold=args.tune_threshold,
        horizon=args.horizon,
        freq=args.freq,
        seasonal_period=args.seasonal_period,
        n_windows=args.n_windows,
        window_step=args.window_step,
        quantile_levels=args.quantile_levels,
        holidays_country=args.holidays_country,
    )
    keywords = {
        "target": args.target,
        "sample_weight": weight,
        "groups": groups,
        "time_column": args.time_column,
        "id_column": args.id_column,
        "known_covariates": args.known_covariates,
        "text_columns": args.text_columns,
        "text_embeddings": args.text_embeddings,
        "group_column": args.group_column,
    }
    automl.fit(table, **{k: v for k, v in keywords.items() if v is not None})
    automl.save(out)
    summary = {
        "model": str(out),
        "best_family": automl.best_family,
        "best_config": automl.best_config,
        "metric": automl.metric_.name,
        "validation_score": automl.model_.info["validation_score"],
        "trials": len(automl.leaderboard()),
        "fit_time": round(automl.fit_time_, 2),
        "refit": automl.model_.info["refit"],
    }
    _emit(args, summary, _summary_text(summary))
    return 0


def _read_json(path: str | None, flag: str) -> Any:
    if path is None:
        return None
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{flag} {path}: cannot read it as JSON ({exc})") from None


def _switch(parser: argparse.ArgumentParser, flag: str, default: bool, help: str) -> None:
    """An on/off flag (``--x`` / ``--no-x``) whose help ends with its default."""
    parser.add_argument(
        flag,
        action=argparse.BooleanOptionalAction,
        default=default,
        help=f"{help} (default {'on' if default else 'off'})",
    )


def _pop_column(table, name: str | None, flag: str):
    from fitfinder.errors import DataError

    if name is None:
        return None
    if name not in table.columns:
        raise DataError(f"{flag} column {name!r} not found in the table")
    return table.pop(name).to_numpy()


def _summary_text(summary: dict) -> str:
    return (
        f"best: {summary['best_family']}  {summary['metric']} {summary['validation_score']:.5g} "
        f"(validation)  {summary['trials']} trials in {summary['fit_time']} s\n"
        f"{summary['refit']}\nmodel saved to {summary['model']}"
    )


def _predict(args) -> int:
    from fitfinder.data import read_table
    from fitfinder.model import load

    model = load(args.model)
    table = None if args.data is None else read_table(args.data)
    history = None if args.history is None else read_table(args.history)
    result = model.prediction_table(table, proba=args.proba, history=history)
    if args.output:
        result.to_csv(args.output, index=False)
        if not args.quiet:
            print(f"wrote {len(result)} predictions to {args.output}", file=sys.stderr)
    else:
        result.to_csv(sys.stdout, index=False)
    return 0


def _leaderboard(args) -> int:
    from fitfinder.report.views import leaderboard_view, state_line, table_text

    if args.per_series:
        from fitfinder.model import load

        return _series_leaderboard(args, load(args.model))
    view, table = leaderboard_view(args.model, args.top)
    print(state_line(view), file=sys.stderr if args.json else sys.stdout)
    _emit(args, json.loads(table.to_json(orient="records")), table_text(table))
    return 0


def _series_leaderboard(args, model) -> int:
    if not hasattr(model, "series_leaderboard"):
        raise ConfigError(
            f"--per-series is for forecast models; {args.model} is a {model.task} model"
        )
    table = model.series_leaderboard()
    if args.top:
        table = table.head(args.top)
    text = table.to_string(index=False, float_format=lambda v: f"{v:.4g}")
    _emit(args, json.loads(table.to_json(orient="records")), text)
    return 0


def _info(args) -> int:
    from fitfinder.report.views import info_text, info_view

    description = info_view(args.model)
    _emit(args, description, info_text(description))
    return 0


def _families(args) -> int:
    from fitfinder.estimators import FAMILIES
    from fitfinder.search.space import describe

    listing = {
        name: {
            "tasks": sorted(f.tasks),
            "description": f.description,
            "preprocessing": f.preprocessing,
            "fidelity": f.fidelity,
            "space": describe(f.space),
        }
        for name, f in FAMILIES.items()
    }
    lines = []
    for name, item in listing.items():
        lines.append(f"{name}: {item['description']} (tasks: {', '.join(item['tasks'])})")
        lines.extend(f"    {key}: {text}" for key, text in item["space"].items())
    _emit(args, listing, "\n".join(lines))
    return 0


def _export_parser(commands) -> None:
    export = _command(commands, "export", "export a saved model as one ONNX graph", _export)
    export.add_argument("model", help="model directory written by fit --out")
    export.add_argument("--format", choices=["onnx"], default="onnx")
    export.add_argument("-o", "--output", help="graph file (default: <model>/model.onnx)")
    export.add_argument(
        "--data", help="CSV or Parquet rows for the parity check (default: the saved sample)"
    )


def _export(args) -> int:
    from fitfinder.data import read_table
    from fitfinder.export import ONNX_FILE, require_onnx
    from fitfinder.model import load

    require_onnx()
    from fitfinder.export.onnx import describe_parity, export_onnx

    model = load(args.model)
    rows = read_table(args.data) if args.data else None
    output = args.output or str(Path(args.model) / ONNX_FILE)
    report = export_onnx(model, output, rows, verbose=False)
    _emit(args, report, f"{describe_parity(report)}\nwrote {output}")
    return 0


def _serve_parser(commands) -> None:
    serve = _command(commands, "serve", "serve a saved model over HTTP", _serve)
    serve.add_argument("model", help="model directory written by fit --out")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    serve.add_argument(
        "--backend",
        choices=["auto", "onnx", "native"],
        default="auto",
        help="auto: the ONNX graph when model.onnx is in the directory, else the native model",
    )
    serve.add_argument(
        "--onnx-only",
        action="store_true",
        help="serve only the exported graph: nothing in the directory is unpickled",
    )
    serve.add_argument(
        "--max-body-mb", type=float, default=10.0, help="largest request body accepted (MB)"
    )
    serve.add_argument(
        "--max-rows", type=int, default=100_000, help="most rows in one request (413 above)"
    )
    serve.add_argument(
        "--timeout", type=float, default=30.0, help="seconds one request may predict (503 after)"
    )


def _serve(args) -> int:
    from fitfinder.serve import require_serve

    require_serve()
    from fitfinder.serve import serve

    if args.onnx_only and args.backend == "native":
        raise ConfigError("--onnx-only serves the ONNX graph; drop --backend native")
    if not args.quiet:
        print(f"serving {args.model} on http://{args.host}:{args.port} (docs at /docs)")
    serve(
        args.model,
        host=args.host,
        port=args.port,
        workers=args.workers,
        backend="onnx" if args.onnx_only else args.backend,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_rows=args.max_rows,
        timeout=args.timeout,
    )
    return 0


def _emit(args, payload: Any, text: str) -> None:
    print(json.dumps(payload, indent=2, default=str) if args.json else text)


if __name__ == "__main__":
    sys.exit(main())

"""The nn family's benchmark: (a) nn-alone vs LightGBM-alone through fitfinder on the shared
datasets; (b) training throughput of the fitfinder estimator vs the same network in a plain
PyTorch loop.

    python bench/nn_bench.py                          # both parts, 120 s per system and dataset
    python bench/nn_bench.py --part compare --budget 30 --only concrete_strength credit_data
    python bench/nn_bench.py --part throughput --rows 100000 --cols 50 --epochs 3
    python bench/nn_bench.py --part single --only hpc_job_class --set members=1 lr=0.001 --seed 1
    python bench/nn_bench.py --part pool --runs run1/nn_compare.csv run2/nn_compare.csv

``single`` fits the nn family's default config once per dataset (with ``--set`` overrides, JSON
values), one thread, no search: how the default-config table of NN_RESULTS.md was measured.
``--on validation`` fits on 80 % of the training rows and scores on the rest, leaving the test
rows out of the choice (how the nn alternatives were picked).

(a) follows ../shared/datasets/README.md: 75/25 split with random_state=0, stratified for
classification; each system sees the training part and is scored once on the test part with
the manifest's metric (bench/scoring.py). ``gap`` is nn's relative difference to LightGBM,
positive when nn is better. Results go to ``--out`` as nn_compare.csv / nn_compare.md.
``--seed`` is both systems' AutoML seed.

``pool`` reads several compare runs' CSVs and compares the systems on each dataset's mean
test score over the runs: one run at 120 s is noisy (a test row or a trial that did or did not
finish in time moves a score by more than the 2 % the nn target asks for).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scoring import GREATER_IS_BETTER, Target, prepare, score
from sklearn.model_selection import train_test_split

BENCH = Path(__file__).resolve().parent
DEFAULT_DATASETS = BENCH.parent.parent / "shared" / "datasets"
TASKS = ("binary", "multiclass", "regression")
METRICS = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "rmse"}
FAMILIES = ("nn", "lightgbm")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--part", choices=("compare", "throughput", "single", "pool", "all"),
                   default="all")  # fmt: skip
    p.add_argument("--budget", type=float, default=120.0, help="seconds per system and dataset")
    p.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    p.add_argument("--only", nargs="+", help="dataset names (default: every tabular one)")
    p.add_argument("--out", type=Path, default=BENCH / "results")
    p.add_argument("--rows", type=int, default=100_000, help="throughput table rows")
    p.add_argument("--cols", type=int, default=50, help="throughput table columns")
    p.add_argument("--epochs", type=int, default=3, help="throughput epochs per repeat")
    p.add_argument("--repeats", type=int, default=3, help="throughput repeats (best kept)")
    p.add_argument("--threads", type=int, default=2, help="torch threads for throughput")
    p.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                   help="single: changes to the default config (JSON values)")  # fmt: skip
    p.add_argument("--seed", type=int, default=0,
                   help="single: the estimator's random_state; compare: AutoML's seed")  # fmt: skip
    p.add_argument("--runs", nargs="+", type=Path, default=[],
                   help="pool: nn_compare.csv files of compare runs")  # fmt: skip
    p.add_argument("--on", choices=("test", "validation"), default="test",
                   help="single: score on the test rows or on 20 %% of the training rows")  # fmt: skip
    args = p.parse_args(argv)
    if args.part == "pool" and not args.runs:
        p.error("--part pool needs --runs: the nn_compare.csv files of compare runs")
    return args


# ------------------------------------------------------------------ (a) nn vs LightGBM
def load_split(entry: dict, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, Target]:
    """The protocol's train and test frames and the test truth."""
    df = pd.read_parquet(folder / entry["file"]).drop(
        columns=entry["dropped_columns"], errors="ignore"
    )
    return split(entry, df, test_size=0.25, seed=0, classes=df[entry["target"]])


def validation_split(entry: dict, train: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, Target]:
    """20 % of the protocol's training rows held out (seed 1): choices made on these never see
    the test rows."""
    return split(entry, train, test_size=0.2, seed=1, classes=train[entry["target"]])


def split(entry: dict, df: pd.DataFrame, test_size: float, seed: int, classes: pd.Series):
    """(fit rows, scored rows, truth of the scored rows), stratified for classification."""
    y = df[entry["target"]]
    regression = entry["task"] == "regression"
    fit, scored = train_test_split(
        df, test_size=test_size, random_state=seed, stratify=None if regression else y
    )
    truth = scored[entry["target"]]
    if regression:
        return fit, scored, Target(entry["metric"], truth.to_numpy(float), [], None)
    positive = entry.get("positive_class") if entry["metric"] == "roc_auc" else None
    labels = sorted(set(classes.astype(str)))
    return fit, scored, Target(entry["metric"], truth.astype(str).to_numpy(), labels,
                               positive and str(positive))  # fmt: skip


def run_family(
    family: str, entry: dict, train, test, target: Target, budget: float, seed: int
) -> dict:
    """Fit fitfinder with one family; score its test predictions."""
    from fitfinder import AutoML

    row = {
        "dataset": entry["name"],
        "task": entry["task"],
        "metric": entry["metric"],
        "family": family,
        "seed": seed,
    }
    X_test = test.drop(columns=entry["target"])
    try:
        start = time.perf_counter()
        automl = AutoML(
            time_budget=budget,
            metric=METRICS[entry["metric"]],
            task=entry["task"],
            estimators=[family],
            seed=seed,
            verbose=0,
        ).fit(train, target=entry["target"])
        row["wall_s"] = time.perf_counter() - start
        preds = pd.DataFrame({"pred": automl.predict(X_test)})
        if entry["task"] != "regression":
            proba = automl.predict_proba(X_test)
            preds["pred"] = preds["pred"].astype(str)
            for j, label in enumerate(automl.classes_):
                preds[f"proba:{label}"] = proba[:, j]
        row["score"] = score(target, prepare(target, preds))
        board = automl.leaderboard()
        row["trials"] = int((board["family"] == family).sum())
        row["best"] = automl.best_family
    except Exception as exc:  # a failure is a result of the benchmark
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return row


def gap(nn: float | None, lgbm: float | None, metric: str) -> float | None:
    """nn's relative difference to LightGBM, positive when nn is better."""
    if nn is None or lgbm is None or not (math.isfinite(nn) and math.isfinite(lgbm)):
        return None
    diff = nn - lgbm if GREATER_IS_BETTER[metric] else lgbm - nn
    return diff / abs(lgbm)


def tabular_entries(args: argparse.Namespace) -> list[dict]:
    """The manifest's tabular datasets, only those named by ``--only`` when given."""
    manifest = json.loads((args.datasets / "manifest.json").read_text())["datasets"]
    return [e for e in manifest if e["task"] in TASKS and (not args.only or e["name"] in args.only)]


def compare(args: argparse.Namespace) -> str:
    rows = []
    for entry in tabular_entries(args):
        train, test, target = load_split(entry, args.datasets)
        for family in FAMILIES:
            row = run_family(family, entry, train, test, target, args.budget, args.seed)
            print(json.dumps(row, default=str), flush=True)
            rows.append(row)
    frame = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / "nn_compare.csv", index=False)
    table = compare_table(frame, args.budget)
    (args.out / "nn_compare.md").write_text(table + "\n")
    return table


def compare_table(frame: pd.DataFrame, budget: float) -> str:
    lines = [
        f"budget {budget:g} s per system and dataset; gap = nn vs LightGBM, positive = nn better",
        "",
        "| dataset | metric | nn | LightGBM | gap | nn trials | nn wall s | LightGBM wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    gaps = []
    for name, group in frame.groupby("dataset", sort=False):
        by = {r["family"]: r for r in group.to_dict("records")}
        nn, lgbm = by.get("nn", {}), by.get("lightgbm", {})
        g = gap(_num(nn.get("score")), _num(lgbm.get("score")), group["metric"].iloc[0])
        gaps.append(g)
        lines.append(
            f"| {name} | {group['metric'].iloc[0]} | {_fmt(nn)} | {_fmt(lgbm)} | "
            f"{'—' if g is None else f'{100 * g:+.2f} %'} | {nn.get('trials', '—')} | "
            f"{_num(nn.get('wall_s')) or 0:.0f} | {_num(lgbm.get('wall_s')) or 0:.0f} |"
        )
    return "\n".join(lines + summary(gaps))


def summary(gaps: list[float | None]) -> list[str]:
    """The median gap over the datasets with both scores, and how many nn is close on or wins."""
    valid = [g for g in gaps if g is not None]
    if not valid:
        return []
    return [
        "",
        f"SUMMARY: median gap {100 * float(np.median(valid)):+.2f} % over {len(valid)} "
        f"datasets; nn within 2 % on {sum(g >= -0.02 for g in valid)}, "
        f"better on {sum(g > 0 for g in valid)}",
    ]


def pool(paths: list[Path]) -> str:
    """Each dataset's mean test score per system over several compare runs, and their gap."""
    runs = [pd.read_csv(path).assign(run=i) for i, path in enumerate(paths)]
    frame = pd.concat(runs, ignore_index=True).dropna(subset=["score"])
    lines = [
        f"{len(paths)} runs pooled: {', '.join(str(p) for p in paths)}",
        "",
        "| dataset | metric | runs | nn mean (min–max) | LightGBM mean (min–max) | gap of means "
        "| nn better in |",
        "|---|---|---|---|---|---|---|",
    ]
    gaps = []
    for (name, metric), group in frame.groupby(["dataset", "metric"], sort=False):
        scores = group.pivot(index="run", columns="family", values="score").dropna()
        if not set(FAMILIES) <= set(scores.columns) or scores.empty:
            continue
        nn, lgbm = scores["nn"], scores["lightgbm"]
        g = gap(nn.mean(), lgbm.mean(), metric)
        gaps.append(g)
        wins = sum(gap(a, b, metric) > 0 for a, b in zip(nn, lgbm, strict=True))
        lines.append(
            f"| {name} | {metric} | {len(scores)} | {_spread(nn)} | {_spread(lgbm)} | "
            f"{100 * g:+.2f} % | {wins} of {len(scores)} |"
        )
    return "\n".join(lines + summary(gaps))


def _spread(scores: pd.Series) -> str:
    """Mean (min–max): four decimals for scores below 10, one decimal and commas above."""
    form = "{:.4f}" if scores.abs().max() < 10 else "{:,.1f}"
    low, high = form.format(scores.min()), form.format(scores.max())
    return f"{form.format(scores.mean())} ({low}–{high})"


def single_fits(args: argparse.Namespace) -> None:
    """Fit the default config (with ``--set`` changes) once per dataset; print a JSON line each."""
    from fitfinder.data.schema import Schema
    from fitfinder.estimators.neural import DEFAULTS, FAMILY
    from fitfinder.features.pipeline import build_pipeline

    changes = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    for entry in tabular_entries(args):
        train, test, target = load_split(entry, args.datasets)
        if args.on == "validation":
            train, test, target = validation_split(entry, train)
        X, y = train.drop(columns=entry["target"]), train[entry["target"]]
        schema = Schema.infer(X)
        regression = entry["task"] == "regression"
        pipeline = build_pipeline(schema, FAMILY, DEFAULTS | changes, task=entry["task"],
                                  n_rows=len(X), n_threads=1, seed=args.seed)  # fmt: skip
        start = time.perf_counter()
        pipeline.fit(schema.conform(X), y if regression else y.astype(str))
        seconds = time.perf_counter() - start
        X_test = schema.conform(test.drop(columns=entry["target"]))
        preds = pd.DataFrame({"pred": pipeline.predict(X_test)})
        if not regression:
            preds["pred"] = preds["pred"].astype(str)
            for j, label in enumerate(pipeline.classes_):
                preds[f"proba:{label}"] = pipeline.predict_proba(X_test)[:, j]
        model = pipeline.named_steps["model"]
        line = {"dataset": entry["name"], "seed": args.seed, "on": args.on, **changes,
                "score": score(target, prepare(target, preds)), "fit_s": round(seconds, 1),
                "epochs": len(model.curve_), "best_epoch": model.best_epoch_}  # fmt: skip
        print(json.dumps(line), flush=True)


def _num(value) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def _fmt(row: dict) -> str:
    value = _num(row.get("score"))
    return "failed" if value is None else f"{value:.4f}"


# ------------------------------------------------------------------ (b) throughput
def synthetic(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, cols)).astype(np.float32)
    y = ((X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + 0.1 * rng.normal(size=rows)) > 0).astype(int)
    return X, y


def wrapper_epoch_seconds(
    X: np.ndarray, y: np.ndarray, epochs: int, threads: int
) -> tuple[float, int]:
    """Median seconds per epoch of NeuralClassifier (validation pass included), train rows."""
    from fitfinder.estimators.neural.estimator import NeuralClassifier

    model = NeuralClassifier(
        depth=2, width=256, members=1, dropout=0.0, scaling="standard", lr=1e-3,
        batch_size=256, max_epochs=epochs, patience=epochs, n_threads=threads,
    )  # fmt: skip
    model.fit(X, y)
    seconds = np.diff([0.0] + [entry["seconds"] for entry in model.curve_])
    return float(np.median(seconds[1:] if len(seconds) > 1 else seconds)), round(0.9 * len(X))


def plain_epoch_seconds(
    X: np.ndarray, y: np.ndarray, epochs: int, threads: int
) -> tuple[float, int]:
    """The same network, optimizer, schedule and batches written as a bare PyTorch loop."""
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n = round(0.9 * len(X))
    x = torch.from_numpy((X[:n] - X[:n].mean(0)) / X[:n].std(0))
    t = torch.from_numpy(y[:n].astype(np.float32))
    net = nn.Sequential(
        nn.Linear(X.shape[1], 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1)
    )
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2, foreach=True)
    steps = epochs * math.ceil(n / 256)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps))
    )
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(0)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for idx in torch.randperm(n, generator=generator).split(256):
            loss = loss_fn(net(x[idx])[:, 0], t[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        times.append(time.perf_counter() - start)
    return float(np.median(times[1:] if len(times) > 1 else times)), n


def throughput(args: argparse.Namespace) -> str:
    # as fitfinder's workers do: idle OpenMP threads sleep instead of spinning on a busy machine
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    X, y = synthetic(args.rows, args.cols)
    best = {"plain PyTorch loop": math.inf, "fitfinder NeuralClassifier": math.inf}
    for _ in range(args.repeats):  # alternate, keep each one's best: less exposed to load
        for label, measure in (
            ("plain PyTorch loop", plain_epoch_seconds),
            ("fitfinder NeuralClassifier", wrapper_epoch_seconds),
        ):
            seconds, rows = measure(X, y, args.epochs, args.threads)
            best[label] = min(best[label], seconds)
            print(f"{label}: {seconds:.3f} s/epoch ({rows / seconds:,.0f} rows/s)", flush=True)
    plain, ours = best.values()
    lines = [
        f"{args.rows:,} x {args.cols} float table, 90 % trained (the estimator validates on the "
        "other 10 % each epoch), 2 x 256 ReLU MLP, AdamW + cosine, batch 256, "
        f"{args.threads} thread(s); "
        f"best of {args.repeats} runs, median epoch of {args.epochs}",
        "",
        "| trainer | s / epoch | rows / s |",
        "|---|---|---|",
        f"| plain PyTorch loop | {plain:.3f} | {0.9 * args.rows / plain:,.0f} |",
        f"| fitfinder NeuralClassifier | {ours:.3f} | {0.9 * args.rows / ours:,.0f} |",
        "",
        f"wrapper overhead: {100 * (ours / plain - 1):+.1f} % (load {os.getloadavg()[0]:.2f})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.part in ("throughput", "all"):
        print(throughput(args), flush=True)
    if args.part == "pool":
        print(pool(args.runs), flush=True)
        return 0
    if args.part in ("compare", "single", "all"):
        if not (args.datasets / "manifest.json").is_file():
            print(f"skipped: no datasets at {args.datasets}")
            return 0
        if args.part == "single":
            single_fits(args)
        else:
            print(compare(args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

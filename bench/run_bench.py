"""Side-by-side benchmark: fitfinder vs FLAML vs default LightGBM on the shared datasets.

    python bench/run_bench.py --budgets 30 120 [--only credit_data penguins]
        [--systems fitfinder flaml lightgbm fitfinder_random] [--datasets DIR] [--out bench/results]

Each (dataset, budget, system) runs sequentially as its own subprocess; the driver splits
the data, scores every system's saved test predictions with one function (scoring.py) and
writes results.csv and results.md, plus the searching systems' anytime curves (curves.csv,
plots/<dataset>.png). See bench/README.md for the protocol.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import anytime
import numpy as np
import pandas as pd
from scoring import GREATER_IS_BETTER, Target, paired_bootstrap, prepare, score, verdict
from sklearn.model_selection import train_test_split
from venvs import VENVS, ensure_python

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_DATASETS = REPO.parent / "shared" / "datasets"
MAIN_SYSTEMS = ("fitfinder", "flaml", "lightgbm")  # the default run and the main table
#: fitfinder with another ``search=`` strategy: system name -> strategy (one script runs them all)
STRATEGY_SYSTEMS = {f"fitfinder_{s}": s for s in ("random", "grid", "tpe", "bo", "local", "blend")}
#: systems run only when named: each is a held-out check against fitfinder (anytime.PAIRED)
EXTRA_SYSTEMS = (*STRATEGY_SYSTEMS, "fitfinder_single", "fitfinder_best_trial", "fitfinder_no_nn",
                 "autogluon", "tfidf_lr")  # fmt: skip
SYSTEMS = (*MAIN_SYSTEMS, *EXTRA_SYSTEMS)
LABELS = {"fitfinder": "fitfinder", "flaml": "FLAML", "lightgbm": "LightGBM-default",
          "fitfinder_single": "fitfinder (no ensemble)", "fitfinder_no_nn": "fitfinder (no nn)",
          "fitfinder_best_trial": "fitfinder (its best trial)",
          "autogluon": "AutoGluon", "tfidf_lr": "TF-IDF+LR (tuned)",
          **{name: f"fitfinder ({s} search)" for name, s in STRATEGY_SYSTEMS.items()}}  # fmt: skip
#: LightGBM-default ignores the budget; the best-trial run only refits fitfinder's best trial
BUDGETED = tuple(s for s in SYSTEMS if s not in ("lightgbm", "fitfinder_best_trial"))
RUNNABLE_TASKS = ("binary", "multiclass", "regression", "text")
LINGER_S = 3.0  # how long a system's helper processes may outlive it before being killed
NOT_RUN = {"forecast": "forecasting not yet supported"}
ANYTIME_HEAD = """## Anytime curves and held-out time checks

Validation scores are each system's own, on its own validation split: compare the curves'
shapes and times, not their values across systems. Plots: plots/<dataset>.png.
"""
RANKING_HEAD = """### Held-out score of every searching system

Test scores on the shared test split (bold: the best of the row), each system's mean rank over
the rows (1 = best, a failed run ranks last) and how many rows its score is at least FLAML's.
Point estimates: the verdicts with intervals are in the tables above.
"""
CSV_FIELDS = [
    "dataset", "task", "metric", "budget", "system", "score", "wall_time_s", "over_budget_s",
    "status", "error", "process_s", "predict_time_s", "load_1m",
]  # fmt: skip


@dataclass
class Result:
    """One (dataset, budget, system) row of results.csv. wall_time_s is fit() wall time."""

    dataset: str
    task: str
    metric: str
    budget: float
    system: str
    score: float | None = None
    wall_time_s: float | None = None
    over_budget_s: float | None = None
    status: str = "ok"
    error: str = ""
    process_s: float | None = None
    predict_time_s: float | None = None
    load_1m: float | None = None  # machine load average just before the system started


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--budgets", type=float, nargs="+", default=[30.0, 120.0])
    p.add_argument("--datasets", "--datasets-dir", type=Path, default=DEFAULT_DATASETS)
    p.add_argument("--only", nargs="+", help="dataset names to run (default: all)")
    p.add_argument(
        "--systems", nargs="+", choices=SYSTEMS, help="default: " + " ".join(MAIN_SYSTEMS)
    )
    p.add_argument("--out", type=Path, default=BENCH / "results")
    p.add_argument("--timeout-factor", type=float, default=3.0, help="kill at F*budget + 60 s")
    p.add_argument(
        "--collect",
        action="store_true",
        help="run nothing: build the tables and plots from the outputs an earlier (maybe interrupted) run left in --out",
    )
    p.add_argument("--bootstrap", type=int, default=1000, help="paired bootstrap resamples")
    args = p.parse_args(argv)
    # --collect picks up every system the earlier run left unless told otherwise
    args.systems = args.systems or list(SYSTEMS if args.collect else MAIN_SYSTEMS)
    systems = args.systems
    pair = ("fitfinder", "fitfinder_best_trial")
    if set(pair) <= set(systems) and systems.index(pair[0]) > systems.index(pair[1]):
        p.error("fitfinder_best_trial resumes fitfinder's run: name fitfinder before it")
    return args


def fit_task(entry: dict) -> str:
    """The task the systems are asked to solve (text datasets are classification)."""
    if entry["task"] != "text":
        return entry["task"]
    return "binary" if entry["n_classes"] == 2 else "multiclass"


def make_split(entry: dict, df: pd.DataFrame, split_path: Path) -> Target:
    """75/25 holdout (stratified for classification), saved as row indices; the test truth."""
    y = df[entry["target"]]
    regression = fit_task(entry) == "regression"
    train, test = train_test_split(
        np.arange(len(df)), test_size=0.25, random_state=0, stratify=None if regression else y
    )
    np.savez(split_path, train=train, test=test)
    if regression:
        return Target(entry["metric"], y.to_numpy(dtype=float)[test], [], None)
    labels = y.astype(str).to_numpy()
    positive = entry.get("positive_class") if entry["metric"] == "roc_auc" else None
    classes = sorted(set(labels))
    return Target(
        entry["metric"], labels[test], classes, None if positive is None else str(positive)
    )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(pgid: int, grace: float) -> bool:
    """Kill what is still in the process group after ``grace`` s; True if anything was."""
    deadline = time.monotonic() + grace
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not _group_alive(pgid):
        return False
    os.killpg(pgid, signal.SIGKILL)
    return True


def launch(python: str, script: Path, spec_path: Path, log: Path, timeout: float) -> tuple:
    """Run one system script; return (returncode or None on timeout, process seconds, leftover)."""
    start = time.perf_counter()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [python, str(script), str(spec_path)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env,
        )  # fmt: skip
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
        # after a normal exit, helpers such as multiprocessing's resource tracker need a moment
        leftover = _stop_group(proc.pid, grace=0.0 if rc is None else LINGER_S)
        proc.wait()
    return rc, time.perf_counter() - start, leftover


def _last_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"


def run_system(row: Result, spec: dict, python: str, timeout: float) -> pd.DataFrame | None:
    """Run a system and fill ``row`` with its timings and status; return its predictions."""
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_path, log = out_dir / "spec.json", out_dir / "log.txt"
    row.load_1m = os.getloadavg()[0]
    spec_path.write_text(json.dumps(spec | {"load_1m": row.load_1m}))  # kept for --collect
    script_name = "fitfinder_strategy" if row.system in STRATEGY_SYSTEMS else row.system
    script = BENCH / "systems" / f"run_{script_name}.py"
    rc, row.process_s, leftover = launch(python, script, spec_path, log, timeout)
    if rc is None:
        row.status, row.error = "timeout", f"killed after {timeout:.0f} s"
        return None
    if rc != 0:
        row.status, row.error = "failed", _last_line(log)
        return None
    if leftover:
        row.error = f"child processes still running {LINGER_S:g} s after exit (killed)"
    return collect_system(row, spec)


def collect_system(row: Result, spec: dict) -> pd.DataFrame | None:
    """Read a finished system's timings and predictions from its output folder into ``row``."""
    out_dir = Path(spec["out_dir"])
    try:
        meta = json.loads((out_dir / "meta.json").read_text())
        preds = pd.read_parquet(out_dir / "predictions.parquet")
    except (OSError, ValueError) as exc:
        row.status, row.error = "failed", f"no readable output: {exc}"[:300]
        return None
    row.wall_time_s, row.predict_time_s = meta["fit_time_s"], meta["predict_time_s"]
    if row.load_1m is None and (out_dir / "spec.json").exists():
        row.load_1m = json.loads((out_dir / "spec.json").read_text()).get("load_1m")
    if row.system in BUDGETED:
        row.over_budget_s = row.wall_time_s - row.budget
    return preds


def score_row(row: Result, target: Target, preds: pd.DataFrame | None) -> np.ndarray | None:
    """Score a system's predictions into ``row``; a scoring error marks the row failed."""
    if preds is None:
        return None
    try:
        prepared = prepare(target, preds)
        row.score = score(target, prepared)
    except (KeyError, ValueError) as exc:
        row.status, row.error = "failed", f"scoring: {exc!r}"[:300]
        return None
    return prepared


def within_budget(row: Result) -> bool:
    """fit() wall time within budget + max(2 s, 5 %)."""
    return row.wall_time_s is not None and row.over_budget_s <= max(2.0, 0.05 * row.budget)


@dataclass
class Comparison:
    """fitfinder against the better of FLAML and LightGBM-default on one dataset x budget."""

    dataset: str
    metric: str
    budget: float
    rows: dict[str, Result]
    best: str | None = None
    advantage: tuple[float, float, float] | None = None  # point, 95 % low, high
    verdict: str = ""


def compare(rows: dict[str, Result], preds: dict, target: Target, n_boot: int) -> Comparison:
    """fitfinder vs the better-scoring rival, with the paired-bootstrap verdict."""
    first = next(iter(rows.values()))
    cmp = Comparison(first.dataset, first.metric, first.budget, rows)
    sign = 1 if GREATER_IS_BETTER[target.metric] else -1
    rivals = [s for s in ("flaml", "lightgbm") if preds.get(s) is not None]
    if "fitfinder" not in rows:
        return cmp
    if preds.get("fitfinder") is None:
        cmp.verdict = "fitfinder failed"
    elif not rivals:
        cmp.verdict = "no baseline"
    else:
        cmp.best = max(rivals, key=lambda s: sign * rows[s].score)
        cmp.advantage = paired_bootstrap(target, preds["fitfinder"], preds[cmp.best], n_boot)
        cmp.verdict = verdict(*cmp.advantage[1:])
    return cmp


def system_dir(out: Path, dataset: str, budget: float, system: str) -> Path:
    """Where one (dataset, budget, system) keeps its spec, log, predictions and curve."""
    return out / "work" / dataset / f"{budget:g}" / system


def run_dataset(
    entry: dict, args: argparse.Namespace, pythons: dict
) -> tuple[list[Comparison], list[anytime.Check]]:
    """Every (budget, system) on one dataset; the per-budget comparisons and held-out checks."""
    work = args.out / "work" / entry["name"]
    work.mkdir(parents=True, exist_ok=True)
    data = args.datasets / entry["file"]
    target = make_split(entry, pd.read_parquet(data), work / "split.npz")
    comparisons, preds_by_budget = [], {}
    for budget in args.budgets:
        rows, preds = {}, {}
        preds_by_budget[budget] = preds
        for system in args.systems:
            row = Result(entry["name"], entry["task"], entry["metric"], budget, system)
            spec = {
                "data": str(data), "split": str(work / "split.npz"), "target": entry["target"],
                "drop": entry["dropped_columns"], "task": fit_task(entry),
                "metric": entry["metric"], "greater_is_better": GREATER_IS_BETTER[entry["metric"]],
                "positive_class": entry.get("positive_class"), "budget": budget, "seed": 0,
                "out_dir": str(system_dir(args.out, entry["name"], budget, system)),
                "search": STRATEGY_SYSTEMS.get(system, "auto"),
            }  # fmt: skip
            print(f"  {entry['name']:<20} budget {budget:>5g}s  {system:<16}", end="", flush=True)
            if args.collect:
                if not (Path(spec["out_dir"]) / "meta.json").exists():
                    print("  not run")
                    continue
                preds[system] = score_row(row, target, collect_system(row, spec))
            elif isinstance(pythons[system], Exception):
                row.status, row.error = "failed", f"environment: {pythons[system]}"[:300]
                preds[system] = None
            else:
                timeout = args.timeout_factor * budget + 60
                raw = run_system(row, spec, pythons[system], timeout)
                preds[system] = score_row(row, target, raw)
            print(f"  {row.status:<8} score={_fmt(row.score)}  fit={_fmt(row.wall_time_s)}s")
            rows[system] = row
        if rows:
            comparisons.append(compare(rows, preds, target, args.bootstrap))
    return comparisons, anytime.held_out_checks(
        entry["name"], preds_by_budget, target, args.bootstrap
    )


def _fmt(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    spec = "+" if signed else ""
    return f"{x:{spec}.4f}" if abs(x) < 100 else f"{x:{spec}.1f}"


def _cell(row: Result | None) -> str:
    if row is None:
        return "—"
    return _fmt(row.score) if row.status == "ok" else row.status


def _time(row: Result | None) -> str:
    return "—" if row is None or row.wall_time_s is None else f"{row.wall_time_s:.1f}"


def markdown(
    comparisons: list[Comparison],
    skipped: list[tuple[str, str]],
    checks: list[anytime.Check] = (),
    curves_md: str = "",
) -> str:
    """The side-by-side table, the datasets not run, the anytime section, the summary lines."""
    head = (
        "| dataset | metric | budget (s) | fitfinder | FLAML | LightGBM-default | best rival "
        "| fitfinder advantage [95 % CI] | verdict | fit s: fitfinder / FLAML / LGBM "
        "| fitfinder within budget |\n|" + "---|" * 11
    )
    lines = [head]
    for c in comparisons:
        r = c.rows
        adv = "—"
        if c.advantage:
            point, low, high = c.advantage
            adv = f"{_fmt(point, True)} [{_fmt(low, True)}, {_fmt(high, True)}]"
        ff = r.get("fitfinder")
        in_budget = "—" if ff is None or ff.wall_time_s is None else _yes(within_budget(ff))
        times = " / ".join(_time(r.get(s)) for s in MAIN_SYSTEMS)
        cells = [c.dataset, c.metric, f"{c.budget:g}", _cell(ff), _cell(r.get("flaml")),
                 _cell(r.get("lightgbm")), LABELS.get(c.best, "—"), adv, c.verdict or "—",
                 times, in_budget]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    failures = [
        f"- {r.dataset} at {r.budget:g} s, {LABELS[r.system]}: {r.status}: {r.error}"
        for c in comparisons
        for r in c.rows.values()
        if r.status != "ok"
    ]
    not_run = [f"- {name}: not run: {why}" for name, why in skipped]
    lines += ["", *failures, *not_run, ""]
    if curves_md or checks:
        lines += [ANYTIME_HEAD, curves_md, "", anytime.checks_table(checks), ""]
    lines += summaries(comparisons, checks)
    return "\n".join(lines) + "\n"


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def summary(comparisons: list[Comparison]) -> str:
    """Target tallies: quality vs the best rival, and fit time within budget."""
    judged = [c for c in comparisons if "fitfinder" in c.rows]
    count = {v: sum(c.verdict == v for c in judged) for v in ("better", "within noise", "worse")}
    timed = [c.rows["fitfinder"] for c in judged if c.rows["fitfinder"].wall_time_s is not None]
    in_budget = sum(within_budget(r) for r in timed)
    failed = sum(c.verdict == "fitfinder failed" for c in judged)
    return (
        f"SUMMARY: fitfinder within noise of or better than max(FLAML, LightGBM-default) on "
        f"{count['better'] + count['within noise']}/{len(judged)} "
        f"(better {count['better']}, within noise {count['within noise']}, "
        f"worse {count['worse']}, failed {failed}); "
        f"fit time within budget + max(2 s, 5 %) on {in_budget}/{len(judged)}"
    )


def time_summary(comparisons: list[Comparison]) -> str:
    """Per budgeted system that ran: fits within budget + max(2 s, 5 %)."""
    counts = []
    for system in BUDGETED:
        timed = [c.rows[system] for c in comparisons if system in c.rows]
        if timed:
            met = sum(r.wall_time_s is not None and within_budget(r) for r in timed)
            counts.append(f"{LABELS[system]} {met}/{len(timed)}")
    return "TIME: fit within budget + max(2 s, 5 %): " + ", ".join(counts)


def summaries(comparisons: list[Comparison], checks: list[anytime.Check]) -> list[str]:
    """The SUMMARY line, the held-out check lines where they were measured, the TIME line."""
    return [summary(comparisons), *anytime.check_summaries(checks), time_summary(comparisons)]


def read_curves(out: Path, comparisons: list[Comparison]) -> pd.DataFrame:
    """Every finished system's curve.csv in one long frame (anytime.CURVE_FIELDS)."""
    frames = [
        pd.read_csv(path).assign(
            dataset=r.dataset, metric=r.metric, budget=r.budget, system=r.system
        )
        for c in comparisons
        for r in c.rows.values()
        if r.status == "ok"
        and (path := system_dir(out, r.dataset, r.budget, r.system) / "curve.csv").exists()
    ]
    return (
        pd.concat(frames)[anytime.CURVE_FIELDS]
        if frames
        else pd.DataFrame(columns=anytime.CURVE_FIELDS)
    )


def write_results(
    out: Path, comparisons: list[Comparison], checks: list[anytime.Check], skipped: list
) -> None:
    """results.csv, curves.csv, plots/<dataset>.png and results.md."""
    results = pd.DataFrame([asdict(r) for c in comparisons for r in c.rows.values()],
                           columns=CSV_FIELDS)  # fmt: skip
    results.to_csv(out / "results.csv", index=False)
    curves = read_curves(out, comparisons)
    curves.to_csv(out / "curves.csv", index=False)
    for dataset, part in curves.groupby("dataset", sort=False):
        anytime.plot_dataset(part, out / "plots" / f"{dataset}.png")
    curves_md = anytime.curve_table(curves, results) if len(curves) else ""
    if results["system"].isin(STRATEGY_SYSTEMS).any():
        searching = [s for s in SYSTEMS if s in BUDGETED]
        curves_md += f"\n\n{RANKING_HEAD}\n{anytime.ranking_table(results, searching)}"
    (out / "results.md").write_text(markdown(comparisons, skipped, checks, curves_md))


def resolve_pythons(systems: list[str]) -> dict:
    """The interpreter each system runs in; an Exception where its environment failed."""
    pythons: dict = {s: sys.executable for s in systems}
    for system in set(systems) & set(VENVS):
        try:
            pythons[system] = str(ensure_python(system))
        except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            pythons[system] = exc
    return pythons


def select(manifest: dict, only: list[str] | None) -> tuple[list[dict], list[tuple[str, str]]]:
    """Datasets to run and (name, reason) for those not run."""
    entries = [e for e in manifest["datasets"] if not only or e["name"] in only]
    unknown = set(only or []) - {e["name"] for e in manifest["datasets"]}
    if unknown:
        raise SystemExit(f"unknown dataset(s) {sorted(unknown)}; see the manifest for names")
    run = [e for e in entries if e["task"] in RUNNABLE_TASKS]
    skipped = [(e["name"], NOT_RUN.get(e["task"], "unknown task")) for e in entries if e not in run]
    return run, skipped


def lock_out(out: Path) -> IO | None:
    """Lock ``out`` for this process (released when it exits); None when another run holds it.

    Two runs on one ``--out`` would run every system twice at once, each on half the machine,
    and write the same folders."""
    handle = (out / "run_bench.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manifest_path = args.datasets / "manifest.json"
    if not manifest_path.exists():
        print(f"benchmark skipped: no datasets at {args.datasets} (pass --datasets DIR)")
        return 0
    entries, skipped = select(json.loads(manifest_path.read_text()), args.only)
    args.out.mkdir(parents=True, exist_ok=True)
    lock = lock_out(args.out)
    if lock is None:
        holder = (args.out / "run_bench.lock").read_text().strip()
        print(f"another run_bench (pid {holder}) is using {args.out}; wait for it or pass another --out",
              file=sys.stderr)  # fmt: skip
        return 2
    with lock:
        comparisons, checks = run_all(entries, args, skipped)
    print(f"\nwrote results.csv, results.md, curves.csv and plots/ in {args.out}")
    print("\n".join(summaries(comparisons, checks)))
    return 0


def run_all(entries: list[dict], args: argparse.Namespace, skipped: list) -> tuple[list, list]:
    """Run (or with --collect, gather) every dataset, write the results; (comparisons, checks)."""
    pythons = {} if args.collect else resolve_pythons(args.systems)
    comparisons, checks = [], []
    for entry in entries:
        if args.collect and not (args.out / "work" / entry["name"]).exists():
            skipped.append((entry["name"], "not run in this benchmark run"))
            continue
        dataset_comparisons, dataset_checks = run_dataset(entry, args, pythons)
        comparisons += dataset_comparisons
        checks += dataset_checks
    write_results(args.out, comparisons, checks, skipped)
    return comparisons, checks


if __name__ == "__main__":
    sys.exit(main())

"""The driver: split, subprocess limits, comparison and the end-to-end run."""

import json
import os
import sys
import time

import numpy as np
import pandas as pd
import psutil
import pytest
import run_bench
from scoring import Target
from sklearn.model_selection import train_test_split

DATASETS = run_bench.DEFAULT_DATASETS
needs_datasets = pytest.mark.skipif(
    not (DATASETS / "manifest.json").exists(), reason="no ../shared/datasets"
)


def test_skips_cleanly_without_datasets(tmp_path, capsys):
    assert run_bench.main(["--datasets", str(tmp_path), "--out", str(tmp_path / "r")]) == 0
    assert "skipped" in capsys.readouterr().out
    assert not (tmp_path / "r").exists()


def test_split_is_the_protocol_split(tmp_path):
    df = pd.DataFrame({"x": np.arange(200), "y": ["a"] * 150 + ["b"] * 50})
    entry = {"target": "y", "task": "binary", "metric": "roc_auc", "positive_class": "b"}
    target = run_bench.make_split(entry, df, tmp_path / "split.npz")
    _, test = train_test_split(df, test_size=0.25, random_state=0, stratify=df["y"])
    assert list(np.load(tmp_path / "split.npz")["test"]) == list(test.index)
    assert list(target.y) == list(test["y"]) and target.positive == "b"
    assert target.classes == ["a", "b"]


@needs_datasets
def test_a_second_run_on_the_same_out_stops_with_a_clear_error(tmp_path, capsys):
    held = run_bench.lock_out(tmp_path)
    assert held is not None
    argv = ["--out", str(tmp_path), "--only", "penguins", "--systems", "lightgbm", "--budgets", "5"]
    assert run_bench.main([*argv, "--datasets", str(DATASETS)]) == 2
    assert f"another run_bench (pid {os.getpid()}) is using {tmp_path}" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()
    held.close()
    assert run_bench.lock_out(tmp_path) is not None  # free again once the holder is gone


def test_forecasts_are_listed_as_not_run():
    manifest = {"datasets": [{"name": "a", "task": "forecast"}, {"name": "b", "task": "text"}]}
    run, skipped = run_bench.select(manifest, None)
    assert [e["name"] for e in run] == ["b"]
    assert skipped == [("a", "forecasting not yet supported")]
    with pytest.raises(SystemExit):
        run_bench.select(manifest, ["nope"])


def test_timeout_kills_the_whole_process_group(tmp_path):
    script = tmp_path / "hang.py"
    pid_file = tmp_path / "child.pid"
    script.write_text(
        "import subprocess, sys, time\n"
        f"c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(c.pid))\n"
        "time.sleep(60)\n"
    )
    start = time.perf_counter()
    rc, _, _ = run_bench.launch(sys.executable, script, tmp_path, tmp_path / "log", timeout=2)
    assert rc is None and time.perf_counter() - start < 10
    time.sleep(0.2)
    assert _gone(int(pid_file.read_text()))


def _gone(pid: int) -> bool:
    """Dead: no such process, or a zombie waiting for init to reap it."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _row(system, score, wall=None):
    row = run_bench.Result("d", "regression", "rmse", 10.0, system, score=score)
    row.wall_time_s, row.over_budget_s = wall, None if wall is None else wall - 10.0
    return row


def test_compare_picks_the_best_rival_and_tallies():
    y = np.linspace(0, 10, 300)
    target = Target("rmse", y, [], None)
    preds = {"fitfinder": y + 0.05, "flaml": y + 1.0, "lightgbm": y + 0.5}
    rows = {"fitfinder": _row("fitfinder", 0.05, 12.5), "flaml": _row("flaml", 1.0, 10.0),
            "lightgbm": _row("lightgbm", 0.5)}  # fmt: skip
    cmp = run_bench.compare(rows, preds, target, n_boot=100)
    assert cmp.best == "lightgbm" and cmp.verdict == "better"
    text = run_bench.markdown([cmp], [("air", "forecasting not yet supported")])
    assert "| NO |" in text  # 2.5 s over a 10 s budget exceeds max(2 s, 5 %)
    assert "air: not run: forecasting not yet supported" in text
    assert "on 1/1 (better 1" in text and "budget + max(2 s, 5 %) on 0/1" in text


def test_a_failed_fitfinder_is_recorded_not_fatal():
    target = Target("rmse", np.zeros(3), [], None)
    rows = {"fitfinder": _row("fitfinder", None), "lightgbm": _row("lightgbm", 1.0)}
    cmp = run_bench.compare(rows, {"fitfinder": None, "lightgbm": np.ones(3)}, target, 10)
    assert cmp.verdict == "fitfinder failed"


@needs_datasets
def test_end_to_end_lightgbm_on_penguins(tmp_path):
    argv = ["--budgets", "5", "--only", "penguins", "air_passengers", "--systems", "lightgbm"]
    assert run_bench.main([*argv, "--out", str(tmp_path)]) == 0
    results = pd.read_csv(tmp_path / "results.csv")
    assert results[["dataset", "system", "status"]].values.tolist() == [
        ["penguins", "lightgbm", "ok"]
    ]
    assert 0 < results.loc[0, "score"] < 1.0  # log_loss of a sensible model
    meta = json.loads((tmp_path / "work/penguins/5/lightgbm/meta.json").read_text())
    assert meta["fit_time_s"] == pytest.approx(results.loc[0, "wall_time_s"])
    assert "air_passengers: not run" in (tmp_path / "results.md").read_text()
    assert run_bench.main([*argv, "--out", str(tmp_path), "--collect"]) == 0
    collected = pd.read_csv(tmp_path / "results.csv")
    assert collected.loc[0, "load_1m"] == pytest.approx(results.loc[0, "load_1m"])


@needs_datasets
def test_a_strategy_system_runs_fitfinder_with_that_search(tmp_path):
    argv = ["--budgets", "8", "--only", "penguins", "--systems", "fitfinder_tpe"]
    assert run_bench.main([*argv, "--out", str(tmp_path)]) == 0
    results = pd.read_csv(tmp_path / "results.csv")
    assert results[["system", "status"]].values.tolist() == [["fitfinder_tpe", "ok"]]
    folder = tmp_path / "work/penguins/8/fitfinder_tpe"
    assert json.loads((folder / "spec.json").read_text())["search"] == "tpe"
    assert (folder / "curve.csv").exists()
    assert run_bench.LABELS["fitfinder_tpe"] == "fitfinder (tpe search)"


def test_helpers_outliving_a_system_are_reported_and_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(run_bench, "LINGER_S", 0.5)
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "leak.py"
    script.write_text(
        "import subprocess, sys\n"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(c.pid))\n"
    )
    rc, _, leftover = run_bench.launch(sys.executable, script, tmp_path, tmp_path / "log", 30)
    assert rc == 0 and leftover
    time.sleep(0.2)
    assert _gone(int(pid_file.read_text()))
    script.write_text("print('clean')\n")
    assert run_bench.launch(sys.executable, script, tmp_path, tmp_path / "log", 30)[2] is False

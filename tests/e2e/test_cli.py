"""The command line: the user's commands end to end, and every bad input as a one-line error."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from fitfinder.cli import main
from fitfinder.estimators import FAMILIES
from fitfinder.storage import Journal

EXAMPLES_CONCRETE = "examples/concrete_strength.csv"


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "fitfinder.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, concrete):
    folder = tmp_path_factory.mktemp("cli")
    train, test = concrete
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns="compressive_strength").to_csv(folder / "test.csv", index=False)
    done = run_cli(
        "fit",
        folder / "train.csv",
        "--target",
        "compressive_strength",
        "--time-budget",
        15,
        "--out",
        folder / "model",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    return folder, json.loads(done.stdout)


def test_fit_predict_leaderboard_info(fitted):
    folder, summary = fitted
    assert summary["trials"] >= 3
    assert summary["validation_score"] > 0
    predicted = run_cli("predict", folder / "model", folder / "test.csv", "-o", folder / "p.csv")
    assert predicted.returncode == 0, predicted.stderr
    values = pd.read_csv(folder / "p.csv")["prediction"]
    assert len(values) == len(pd.read_csv(folder / "test.csv")) and values.between(0, 100).all()
    board = run_cli("leaderboard", folder / "model", "--json")
    rows = json.loads(board.stdout)
    singles = [r for r in rows if r["family"] != "ensemble"]
    assert rows[0]["rank"] == 1
    assert summary["best_family"] in ("ensemble", singles[0]["family"])
    info = run_cli("info", folder / "model", "--json")
    assert json.loads(info.stdout)["task"] == "regression"
    per_series = run_cli("leaderboard", folder / "model", "--per-series")
    assert per_series.returncode == 2 and "for forecast models" in per_series.stderr
    clash = run_cli("serve", folder / "model", "--onnx-only", "--backend", "native")
    assert clash.returncode == 2 and "drop --backend native" in clash.stderr


def test_families_lists_the_algorithm_set():
    listing = run_cli("families", "--json")
    families = json.loads(listing.stdout)
    assert {"glm", "svm", "knn", "rf", "extra_trees", "hist_gb", "lightgbm", "xgboost"} <= set(
        families
    )
    assert "learning_rate" in families["lightgbm"]["space"]


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _rows(n, make):
    return "\n".join(make(i) for i in range(n))


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing_file", "not found"),
        ("empty_file", "empty"),
        ("unknown_target", "did you mean"),
        ("target_all_missing", "missing"),
        ("single_class", "single class"),
        ("too_few_rows", "row"),
        ("text_target_regression", "not numeric"),
        ("duplicate_columns", "duplicate"),
        ("unknown_metric", "unknown metric"),
        ("unknown_family", "unknown estimator"),
        ("bad_starting_points", "starting_points for glm: 'depth' is not a parameter"),
        ("unreadable_starting_points", "cannot read it as json"),
        ("missing_warm_start", "no journal there"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, case, expected):
    good = "a,b,y\n" + _rows(40, lambda i: f"{i % 7},{i * 1.5},{i % 2}")
    target, extra = "y", []
    if case == "missing_file":
        path = tmp_path / "nope.csv"
    elif case == "empty_file":
        path = _write(tmp_path, "e.csv", "")
    elif case == "unknown_target":
        path, target = _write(tmp_path, "d.csv", good), "yy"
    elif case == "target_all_missing":
        path = _write(tmp_path, "d.csv", "a,y\n" + _rows(40, lambda i: f"{i},"))
    elif case == "single_class":
        path = _write(tmp_path, "d.csv", "a,y\n" + _rows(40, lambda i: f"{i},x"))
    elif case == "too_few_rows":
        path = _write(tmp_path, "d.csv", "a,y\n1,0\n2,1\n3,0")
    elif case == "text_target_regression":
        path, extra = (
            _write(tmp_path, "d.csv", "a,y\n" + _rows(40, lambda i: f"{i},w{i % 3}")),
            ["--task", "regression"],
        )
    elif case == "duplicate_columns":
        path = _write(tmp_path, "d.csv", "a,a,y\n" + _rows(40, lambda i: f"{i},{i},{i % 2}"))
    elif case == "unknown_metric":
        path, extra = _write(tmp_path, "d.csv", good), ["--metric", "auroc"]
    elif case.endswith("starting_points"):
        points = _write(tmp_path, "s.json", '{"glm": {"depth": 3}}' if case[0] == "b" else "{")
        path, extra = _write(tmp_path, "d.csv", good), ["--starting-points", str(points)]
    elif case == "missing_warm_start":
        path, extra = _write(tmp_path, "d.csv", good), ["--warm-start", str(tmp_path / "x")]
    else:
        path, extra = _write(tmp_path, "d.csv", good), ["--estimators", "lightgbm,forest"]
    code = main(
        [
            "fit",
            str(path),
            "--target",
            target,
            "--out",
            str(tmp_path / "m"),
            "--time-budget",
            "5",
            *extra,
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("fitfinder: error:") and "\n" not in err and "Traceback" not in err
    assert expected in err.lower()


def test_predict_with_missing_columns_names_them(fitted, tmp_path, capsys):
    folder, _ = fitted
    test = pd.read_csv(folder / "test.csv").drop(columns=["cement", "water"])
    test.to_csv(tmp_path / "t.csv", index=False)
    code = main(["predict", str(folder / "model"), str(tmp_path / "t.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "cement" in err and "water" in err


def test_usage_error_exits_2_without_traceback():
    done = run_cli("fit")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_starting_points_warm_start_and_no_portfolio_flags(concrete, tmp_path):
    from fitfinder.trials.spec import TrialResult

    train, _ = concrete
    train.to_csv(tmp_path / "train.csv", index=False)
    points = _write(tmp_path, "points.json", json.dumps({"svm": {"C": 0.5}}))
    earlier = {"C": 2.0, "kernel": "rbf", "gamma": 0.1}
    with Journal(f"sqlite:///{tmp_path / 'earlier.db'}") as journal:
        run = journal.create_run({"task": "regression"}, "fingerprint")
        journal.record_trial(run, TrialResult(0, "svm", earlier, None, "done", loss=5.0))
    code = main(
        ["fit", str(tmp_path / "train.csv"), "--target", "compressive_strength", "--quiet"]
        + ["--estimators", "svm", "--max-trials", "4", "--n-concurrent-trials", "1"]
        + ["--starting-points", str(points), "--warm-start", str(tmp_path / "earlier.db")]
        + ["--no-portfolio", "--ensemble", "none", "--out", str(tmp_path / "model")]
    )
    assert code == 0
    with Journal(f"sqlite:///{tmp_path / 'model' / 'journal.db'}") as journal:
        configs = [t.config for t in journal.trials(journal.latest_run().id)]
    svm = FAMILIES["svm"]
    assert configs == [svm.low_cost, {**svm.low_cost, "C": 0.5}, earlier, svm.defaults]

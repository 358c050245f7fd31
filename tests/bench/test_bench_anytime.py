"""Anytime curves: extraction from fitfinder's journal and FLAML's log, checks, plots."""

import json
import time

import numpy as np
import pandas as pd
import pytest
import run_bench
from anytime import (
    check_summaries,
    focus_range,
    held_out_checks,
    plot_dataset,
    ranking_table,
)
from common import write_curve
from run_fitfinder import journal_curve
from run_flaml import log_curve
from scoring import Target

from fitfinder import AutoML


def test_fitfinder_curve_from_the_journal_of_a_real_fit(breast_cancer, tmp_path):
    train, _ = breast_cancer
    automl = AutoML(max_trials=3, estimators=["glm", "lightgbm"], split="holdout",
                    metric="roc_auc", seed=0, verbose=0)  # fmt: skip
    started = time.time()
    automl.fit(train, target="target")
    fit_s = time.time() - started
    points = journal_curve(automl, {}, started)
    # the three trials, and the ensemble's journal row only when the model is that ensemble
    assert len(points) == 3 + ("ensemble" in automl.model_.info)
    assert all(0 < elapsed <= fit_s for elapsed, _ in points)
    write_curve(tmp_path / "curve.csv", points, greater_is_better=True)
    curve = pd.read_csv(tmp_path / "curve.csv")
    assert curve["elapsed_s"].is_monotonic_increasing
    assert curve["best_val_score"].is_monotonic_increasing
    assert curve["best_val_score"].iloc[-1] == pytest.approx(automl.model_.info["validation_score"])


def _flaml_record(record_id, wall, loss):
    """A line as FLAML 2.3's TrainingLogRecord.dump writes it."""
    return json.dumps({"record_id": record_id, "iter_per_learner": 1, "logged_metric": None,
                       "trial_time": 0.1, "wall_clock_time": wall, "validation_loss": loss,
                       "config": {"n_estimators": 4}, "learner": "lgbm", "sample_size": 100})  # fmt: skip


def test_flaml_log_becomes_scores_in_the_metric_direction(tmp_path):
    log = tmp_path / "flaml_log.jsonl"
    lines = [_flaml_record(0, 0.5, 0.30), _flaml_record(1, 1.2, float("inf")),
             _flaml_record(2, 2.0, 0.10), json.dumps({"curr_best_record_id": 2}),
             _flaml_record(3, 3.5, 0.20)]  # fmt: skip
    log.write_text("\n".join(lines) + "\n")
    _assert_points(log_curve(log, greater_is_better=True), [(0.5, 0.7), (2.0, 0.9), (3.5, 0.8)])
    points = log_curve(log, greater_is_better=False)
    _assert_points(points, [(0.5, 0.3), (2.0, 0.1), (3.5, 0.2)])
    write_curve(tmp_path / "curve.csv", points, greater_is_better=False)
    assert pd.read_csv(tmp_path / "curve.csv")["best_val_score"].tolist() == pytest.approx(
        [0.3, 0.1, 0.1]
    )


def test_held_out_checks_pair_the_half_budget_and_random_runs():
    y = np.linspace(0, 10, 300)
    target = Target("rmse", y, [], None)
    preds = {30.0: {"fitfinder": y + 0.05, "fitfinder_random": y + 1.0, "lightgbm": y},
             120.0: {"fitfinder": y + 0.05, "flaml": y + 1.0, "fitfinder_random": None}}  # fmt: skip
    checks = held_out_checks("d", preds, target, n_boot=100)
    assert [(c.kind, c.a, c.b, c.verdict) for c in checks] == [
        ("half-time", ("fitfinder", 30.0), ("flaml", 120.0), "better"),
        ("vs random", ("fitfinder", 30.0), ("fitfinder_random", 30.0), "better"),
        ("vs random", ("fitfinder", 120.0), ("fitfinder_random", 120.0), "failed"),
        ("longer budget", ("fitfinder", 120.0), ("fitfinder", 30.0), "within noise"),
    ]
    lines = check_summaries(checks)
    assert (
        lines[0].startswith("HALF-TIME: fitfinder at 30 s") and "FLAML at 120 s on 1/1" in lines[0]
    )
    assert lines[1].startswith("LONGER-BUDGET: fitfinder at 120 s") and "on 1/1" in lines[1]
    assert "on 1/1 (better 1," in lines[2] and "on 0/1 (better 0," in lines[3]


def test_no_half_budget_means_no_half_time_check():
    target = Target("rmse", np.zeros(3), [], None)
    preds = {60.0: {"fitfinder": np.zeros(3), "flaml": np.ones(3)},
             100.0: {"fitfinder": np.zeros(3), "flaml": np.ones(3)}}  # fmt: skip
    assert [c.kind for c in held_out_checks("d", preds, target, n_boot=10)] == ["longer budget"]


def _curve(system, budget, scores):
    elapsed = np.arange(1, len(scores) + 1) * budget / (len(scores) + 1)
    return pd.DataFrame({"dataset": "d", "metric": "roc_auc", "budget": budget, "system": system,
                         "elapsed_s": elapsed, "val_score": scores,
                         "best_val_score": np.maximum.accumulate(scores)})  # fmt: skip


def test_plot_is_written_as_png(tmp_path):
    curves = pd.concat([_curve("fitfinder", 5.0, [0.8, 0.85, 0.84]), _curve("flaml", 5.0, [0.7, 0.9]),
                        _curve("fitfinder", 10.0, [0.8, 0.86])])  # fmt: skip
    plot_dataset(curves, tmp_path / "plots" / "d.png")
    assert (tmp_path / "plots" / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_range_frames_the_final_scores_not_a_poor_first_trial():
    curves = pd.concat([_curve("fitfinder", 5.0, [0.2, 0.84, 0.85]), _curve("flaml", 5.0, [0.83]),
                        _curve("fitfinder", 10.0, [0.86])])  # fmt: skip
    low, high = focus_range(curves, higher=True)
    assert 0.2 < low < 0.83 and high > 0.86
    low, high = focus_range(curves.assign(best_val_score=-curves["best_val_score"]), higher=False)
    assert low < -0.86 and -0.83 < high < -0.2


def test_results_gather_curves_into_tables_and_plots(tmp_path):
    rows = {}
    systems = [
        ("fitfinder", [0.8, 0.9]),
        ("flaml", [0.85]),
        ("lightgbm", None),
        ("fitfinder_tpe", [0.7]),
    ]
    for system, scores in systems:
        rows[system] = run_bench.Result("d", "binary", "roc_auc", 10.0, system, score=0.8)
        if scores is not None:
            folder = run_bench.system_dir(tmp_path, "d", 10.0, system)
            folder.mkdir(parents=True)
            write_curve(
                folder / "curve.csv", [(2.0 * (i + 1), s) for i, s in enumerate(scores)], True
            )
    comparison = run_bench.Comparison("d", "roc_auc", 10.0, rows)
    run_bench.write_results(tmp_path, [comparison], [], [])
    assert (tmp_path / "plots" / "d.png").exists()
    curves = pd.read_csv(tmp_path / "curves.csv")
    sizes = curves.groupby("system").size().to_dict()
    assert sizes == {"fitfinder": 2, "flaml": 1, "fitfinder_tpe": 1}
    text = (tmp_path / "results.md").read_text()
    assert "| d | 10 | fitfinder | 2 | 2.0 | 4.0 | 0.9 | 0.8 |" in text
    assert run_bench.RANKING_HEAD.splitlines()[0] in text  # a strategy ran: the ranking table


def test_random_search_runs_when_asked_and_is_collected_by_default():
    assert run_bench.parse_args([]).systems == ["fitfinder", "flaml", "lightgbm"]
    chosen = run_bench.parse_args(["--systems", "fitfinder", "fitfinder_random"]).systems
    assert chosen == ["fitfinder", "fitfinder_random"]
    assert "fitfinder_random" in run_bench.parse_args(["--collect"]).systems


def test_paired_checks_judge_ensembles_by_point_estimate_and_autogluon_by_noise():
    y = np.linspace(0, 10, 300)
    target = Target("rmse", y, [], None)
    preds = {120.0: {"fitfinder": y + 0.5, "fitfinder_single": y + 0.4, "autogluon": y + 0.45}}
    checks = held_out_checks("d", preds, target, n_boot=100)
    assert [(c.kind, c.b[0], c.verdict) for c in checks] == [
        ("vs no ensemble", "fitfinder_single", "worse"),
        ("vs AutoGluon", "autogluon", "worse"),
    ]
    ensemble, autogluon = check_summaries(checks)
    assert ensemble.startswith("VS-NO-ENSEMBLE at 120 s") and "on 0/1 (better 0" in ensemble
    assert autogluon.startswith("VS-AUTOGLUON at 120 s") and "worse 1" in autogluon


def test_time_summary_counts_each_budgeted_system():
    rows = {
        system: run_bench.Result(
            "d", "binary", "roc_auc", 30.0, system, wall_time_s=wall, over_budget_s=wall - 30.0
        )  # fmt: skip
        for system, wall in (("fitfinder", 29.0), ("autogluon", 45.0), ("lightgbm", 1.0))
    }
    line = run_bench.time_summary([run_bench.Comparison("d", "roc_auc", 30.0, rows)])
    assert line.endswith("fitfinder 1/1, AutoGluon 0/1")


def test_ranking_table_bolds_each_rows_best_and_ranks_failures_last():
    rows = [
        ("d", "rmse", 30.0, "fitfinder", 1.0, "ok"),
        ("d", "rmse", 30.0, "flaml", 2.0, "ok"),
        ("d", "rmse", 30.0, "fitfinder_tpe", None, "timeout"),
        ("e", "roc_auc", 30.0, "fitfinder", 0.7, "ok"),
        ("e", "roc_auc", 30.0, "flaml", 0.8, "ok"),
        ("e", "roc_auc", 30.0, "fitfinder_tpe", 0.9, "ok"),
    ]
    results = pd.DataFrame(
        rows, columns=["dataset", "metric", "budget", "system", "score", "status"]
    )
    table = ranking_table(results, ["fitfinder", "flaml", "fitfinder_tpe", "autogluon"])
    assert "| d | 30 | **1** | 2 | — |" in table  # lower rmse is better; tpe failed
    assert "| e | 30 | 0.7 | 0.8 | **0.9** |" in table
    assert "| mean rank | | 2.00 | 2.00 | 2.00 |" in table  # (1 + 3), (2 + 2), (3 + 1)
    assert "| score ≥ FLAML (of 2) | | 1 | — | 1 |" in table


def _assert_points(points, expected):
    """(time, score) pairs equal to ``expected`` within float tolerance, compared pair by pair
    (``pytest.approx`` refuses nested sequences from pytest 9.2 on)."""
    assert len(points) == len(expected)
    for point, wanted in zip(points, expected, strict=True):
        assert tuple(point) == pytest.approx(wanted)

"""bench/forecast_bench.py: the split, MASE and coverage, the tables and summary, usage errors.

No benchmark runs here: the systems are never started.
"""

import json
import sys

import forecast_bench as fb
import numpy as np
import pandas as pd
import pytest

ENTRY = {"id_column": "sid", "time_column": "ts", "target": "y", "horizon": 2,
         "seasonal_period": 2}  # fmt: skip


def _panel() -> pd.DataFrame:
    times = pd.date_range("2024-01-01", periods=8, freq="D")
    a = [1.0, 2.0, 4.0, 3.0, 5.0, 6.0, 7.0, 8.0]
    b = [10.0, 10.0, 12.0, 14.0, 12.0, 18.0, 20.0, 20.0]
    return pd.DataFrame({"sid": ["a"] * 8 + ["b"] * 8, "ts": list(times) * 2, "y": a + b})


def test_the_test_window_is_each_series_last_horizon_rows_by_time():
    shuffled = _panel().sample(frac=1.0, random_state=0)
    train, test = fb.split_series(shuffled, ENTRY)
    assert len(train) == 12 and len(test) == 4
    full = _panel()
    for sid, part in test.groupby("sid"):
        assert list(part["y"]) == list(full.loc[full["sid"] == sid, "y"].iloc[-2:])
    assert train.groupby("sid")["ts"].max().max() < test["ts"].min()


def test_mase_and_coverage_match_a_hand_computation():
    train, test = fb.split_series(_panel(), ENTRY)
    forecast = pd.DataFrame({
        "sid": ["a", "a", "b", "b"], "ts": test["ts"].to_list(),
        "forecast": [6.0, 10.0, 20.0, 15.0],
        "q10": [5.0, 7.0, 21.0, 10.0], "q90": [9.0, 9.0, 22.0, 30.0],
    })  # fmt: skip
    # a: seasonal-naive errors |4-1|, |3-2|, |5-4|, |6-3| -> 2; test errors 1, 2 -> 1.5 / 2
    # b: |12-10|, |14-10|, |12-12|, |18-14| -> 2.5; test errors 0, 5 -> 2.5 / 2.5
    mase, coverage = fb.score_forecast(train, test, forecast, ENTRY)
    assert mase == pytest.approx((0.75 + 1.0) / 2)
    assert coverage == pytest.approx(3 / 4)  # b's first truth (20) lies below [21, 22]
    # no interval: no coverage; a missing test row: the forecast cannot be scored
    assert fb.score_forecast(train, test, forecast.drop(columns=["q10", "q90"]), ENTRY)[1] is None
    with pytest.raises(ValueError, match="no finite forecast for 1 of 4"):
        fb.score_forecast(train, test, forecast.iloc[:3], ENTRY)


def _rows() -> list:
    R = fb.Row
    ok = {"status": "ok"}
    return [
        # d1: fitfinder beats everything
        R("d1", None, "statsforecast:AutoETS", mase=1.0, wall_s=0.5, **ok),
        R(
            "d1",
            None,
            "statsforecast:AutoARIMA",
            mase=0.85,
            wall_s=2.0,
            note="fitted on each series' last 2000 points",
            **ok,
        ),  # fmt: skip
        R("d1", None, "statsforecast:SeasonalNaive", mase=1.2, wall_s=0.1, **ok),
        R(
            "d1",
            60.0,
            "fitfinder",
            mase=0.8,
            wall_s=55.0,
            budget_kept=True,
            coverage80=0.8,
            best="global_lightgbm",
            **ok,
        ),  # fmt: skip
        R(
            "d1", 60.0, "autogluon", mase=0.9, wall_s=58.0, budget_kept=True, coverage80=0.85, **ok
        ),  # fmt: skip
        # d2: AutoGluon failed (no win for fitfinder); equal to seasonal naive; over budget
        R("d2", None, "statsforecast:AutoARIMA", status="timeout", error="killed after 900 s"),
        R("d2", None, "statsforecast:AutoTheta", mase=1.0, wall_s=0.3, **ok),
        R("d2", None, "statsforecast:SeasonalNaive", mase=1.1, wall_s=0.1, **ok),
        R(
            "d2",
            60.0,
            "fitfinder",
            mase=1.1,
            wall_s=70.0,
            budget_kept=False,
            coverage80=0.7,
            best="auto_ets",
            **ok,
        ),  # fmt: skip
        R("d2", 60.0, "autogluon", status="failed", error="ValueError: boom"),
        # d3: fitfinder timed out: it beats nothing, even the failed ones
        R("d3", None, "statsforecast:SeasonalNaive", mase=0.9, wall_s=0.1, **ok),
        R("d3", 60.0, "fitfinder", status="timeout", error="killed after 300 s"),
        R("d3", 60.0, "autogluon", mase=0.5, wall_s=50.0, budget_kept=True, **ok),
    ]


def test_summary_counts_failures_as_failures_never_as_wins():
    line = fb.summary_line(_rows(), 60.0)
    assert line == (
        "SUMMARY at 60 s: fitfinder beats best-in-hindsight statsforecast on 1/3, beats "
        "AutoGluon on 1/3 (AutoGluon failed on 1), not worse than seasonal naive on 2/3 "
        "(fitfinder failed on 1); mean 80 % interval coverage 0.75 over 2 datasets; "
        "budget kept on 1/3 (AutoGluon 2/3)"
    )
    assert fb.best_in_hindsight(_rows(), "d2").system == "statsforecast:AutoTheta"
    assert fb.best_in_hindsight(_rows(), "nope") is None
    alone = [r for r in _rows() if r.system == "fitfinder"]  # --systems fitfinder
    assert "statsforecast on — (not run), beats AutoGluon on — (not run), not worse than " \
        "seasonal naive on — (not run)" in fb.summary_line(alone, 60.0)  # fmt: skip


def test_markdown_puts_the_systems_side_by_side():
    text = fb.markdown(_rows(), [60.0, 300.0])
    assert "### Budget 300 s" not in text  # nothing ran at that budget
    lines = text.splitlines()
    assert "| d1 | 0.800 | global_lightgbm | 0.850 (AutoARIMA) | 0.900 | 1.200 | 55.0 / 60 " \
        "| 58.0 | 0.80 / 0.85 |" in lines  # fmt: skip
    assert "| d2 | 1.100 | auto_ets | 1.000 (AutoTheta) | failed | 1.100 | 70.0 / 60 (over) " \
        "| — | 0.70 / — |" in lines  # fmt: skip
    assert "| d3 | timeout | — | 0.900 (SeasonalNaive) | 0.500 | 0.900 | — | 50.0 | — / — |" \
        in lines  # fmt: skip
    assert "| d2 | — | timeout (—) | 1.000 (0.3) | 1.100 (0.1) |" in lines
    assert "| d1 | 1.000 (0.5) | 0.850 (2.0)* | — | 1.200 (0.1) |" in lines
    assert "- d2 at 60 s, autogluon: failed: ValueError: boom" in lines
    assert "- d2, statsforecast:AutoARIMA: timeout: killed after 900 s" in lines
    assert lines[-1] == fb.summary_line(_rows(), 60.0)


def test_synthetic_panel_is_a_seeded_long_frame_with_static_columns():
    panel = fb.synthetic_panel(5, 40, seed=1)
    assert len(panel) == 200 and panel["series_id"].nunique() == 5
    assert panel.groupby("series_id")[["region", "size", "area"]].nunique().max().max() == 1
    assert panel.equals(fb.synthetic_panel(5, 40, seed=1))
    assert np.isfinite(panel["target"]).all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--part", "nope"], "invalid choice: 'nope'"),
        (["--only", "penguins"], "unknown forecast dataset(s) penguins; choose from a"),
        (["--only", "zzz", "a"], "unknown forecast dataset(s) zzz"),
        (["--systems", "prophet"], "invalid choice: 'prophet'"),
        (["--budgets", "0"], "budgets must be positive"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, capsys, argv, message):
    manifest = {"datasets": [{"name": "a", "task": "forecast"}, {"name": "penguins",
                                                                  "task": "multiclass"}]}  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SystemExit) as stop:
        fb.main([*argv, "--datasets", str(tmp_path), "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err
    assert not (tmp_path / "out").exists()


def test_skips_cleanly_without_datasets(tmp_path, capsys):
    assert fb.main(["--datasets", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    assert "skipped" in capsys.readouterr().out


def test_launch_samples_the_process_trees_memory_and_kills_it_on_timeout(tmp_path):
    script = tmp_path / "hold.py"
    script.write_text(
        "import subprocess, sys, time\n"
        'child = \'import time; x = bytearray(80 * 2**20); x[::4096] = b"1" * len(x[::4096]); '
        "time.sleep(60)'\n"
        "subprocess.Popen([sys.executable, '-c', child])\n"
        "time.sleep(60)\n"
    )
    rc, seconds, _, peak_mb = fb.launch(sys.executable, script, tmp_path, tmp_path / "log", 2.5)
    assert rc is None and seconds < 8
    assert peak_mb > 80  # the child's memory counts

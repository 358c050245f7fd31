"""Pruners: which trials stop and at which step, on deterministic synthetic curves."""

import math
from collections import Counter

import pytest

from fitfinder.errors import ConfigError
from fitfinder.search.pruners import (
    CurveBook,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    SuccessiveHalvingPruner,
    make_pruner,
)


def curve_of(final: float, start: float, max_step: int) -> dict[int, float]:
    """A decreasing learning curve: ``final + start / step``."""
    return {step: final + start / step for step in range(1, max_step + 1)}


def run_trials(pruner, curves: list[dict[int, float]]) -> list[int | None]:
    """Run the trials one after another, reporting every step; the step each stopped at."""
    others, stopped = {}, []
    for number, full in enumerate(curves):
        seen, where = {}, None
        for step, loss in full.items():
            seen[step] = loss
            if pruner.should_prune(others, number, seen, step):
                where = step
                break
        others[number] = seen
        stopped.append(where)
    return stopped


def test_median_stops_a_trial_worse_than_the_median_after_startup_and_warmup():
    pruner = MedianPruner(n_startup_trials=3, n_warmup_steps=4)
    finals = [0.5, 0.3, 0.4, 0.45, 0.2, 0.6]
    stopped = run_trials(pruner, [curve_of(f, 1.0, 10) for f in finals])
    # trials 0-2 start the pruner; trial 3 is above the median 0.4 + 1/4 from step 4 (warm-up)
    assert stopped == [None, None, None, 4, None, 4]


def test_median_compares_only_trials_that_reached_the_step():
    pruner = MedianPruner(n_startup_trials=2)
    others = {0: curve_of(0.1, 1.0, 3), 1: curve_of(0.2, 1.0, 3), 2: curve_of(0.9, 1.0, 8)}
    assert pruner.threshold(others, 3, 3) == pytest.approx(0.2 + 1 / 3)  # median of three
    assert pruner.threshold(others, 3, 5) == math.inf  # one trial only reached step 5
    assert pruner.should_prune(others, 3, {3: 0.6}, 3)
    assert not pruner.should_prune(others, 3, {3: 0.5}, 3)
    assert pruner.should_prune(others, 3, {3: math.nan}, 3)  # a NaN loss is stopped


def test_halving_rungs_and_top_third_threshold():
    pruner = SuccessiveHalvingPruner(min_resource=2, reduction_factor=3)
    assert pruner.rungs(54) == [2, 6, 18]  # rungs below the trial's last step
    assert [s for s in range(1, 60) if pruner.is_rung(s)] == [2, 6, 18, 54]
    others = {n: {6: float(n + 1)} for n in range(8)}  # values 1..8 at rung 6
    # 9 trials with this one: the best 9 // 3 = 3 go on, so the bar is the 3rd best other
    assert pruner.threshold(others, 8, 6) == 3.0
    assert pruner.threshold(others, 8, 5) == math.inf  # not a rung
    assert pruner.threshold({}, 0, 6) == math.inf  # the first trial at a rung always goes on


def test_halving_promotes_trials_rung_by_rung():
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    curves = [
        curve_of(0.5, 1.0, 27),  # 1.5 at 1, 0.83 at 3
        curve_of(0.1, 1.3, 27),  # 1.4 at 1 (best) , 0.53 at 3 (best)
        curve_of(0.45, 0.9, 27),  # 1.35 at 1 (best), 0.75 at 3: behind trial 1 -> stops at 3
        curve_of(0.9, 1.0, 27),  # 1.9 at 1: behind the best of 3 -> stops at 1
        curve_of(0.0, 1.0, 27),  # the best at every rung
        curve_of(0.25, 0.2, 27),  # best at 1 and 3; 0.27 at 9 is behind trial 4's 0.11
    ]
    assert run_trials(pruner, curves) == [None, None, 3, 1, None, 9]


def test_hyperband_assigns_brackets_by_hash_and_competes_within_one():
    pruner = HyperbandPruner(min_resource=1, reduction_factor=3, n_brackets=4, seed=0)
    brackets = [pruner.bracket(n) for n in range(400)]
    assert brackets == [HyperbandPruner(seed=0).bracket(n) for n in range(400)]
    assert brackets != [HyperbandPruner(seed=1).bracket(n) for n in range(400)]
    assert min(Counter(brackets).values()) > 60  # spread over the four brackets
    first = brackets.index(0)
    late = brackets.index(2)
    assert pruner.steps(first, 100) == [1, 3, 9, 27, 81]
    assert pruner.steps(late, 100) == [9, 27, 81]
    rival = next(n for n in range(400) if n != first and brackets[n] == 0)
    outsider = brackets.index(1)
    others = {rival: {1: 1.0}, outsider: {1: 0.0}}
    # against its bracket's rival only: 0.5 beats 1.0; the outsider's 0.0 does not count
    assert not pruner.should_prune(others, first, {1: 0.5}, 1)
    assert pruner.should_prune(others, first, {1: 1.5}, 1)
    assert pruner.threshold(others, late, 1) == math.inf  # step 1 is no rung of bracket 2


def test_make_pruner_names_objects_and_mistakes():
    assert isinstance(make_pruner("none"), NopPruner)
    assert isinstance(make_pruner("median"), MedianPruner)
    assert isinstance(make_pruner("halving"), SuccessiveHalvingPruner)
    assert isinstance(make_pruner("hyperband"), HyperbandPruner)
    custom = MedianPruner(n_startup_trials=1)
    assert make_pruner(custom) is custom
    with pytest.raises(ConfigError, match="unknown pruner 'asha'; choose one of none, median"):
        make_pruner("asha")
    with pytest.raises(ConfigError, match="reduction_factor >= 2"):
        SuccessiveHalvingPruner(reduction_factor=1)


def test_curve_book_sends_each_trial_the_thresholds_of_its_family():
    book = CurveBook(MedianPruner(n_startup_trials=2), {"lightgbm": "n_estimators", "glm": None})
    assert book.rule("glm", 0, {"C": 1.0}) is None  # no fidelity: never watched
    first = book.rule("lightgbm", 0, {"n_estimators": 20})
    assert first.steps == (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 19)
    assert first.thresholds == {}  # nothing to compare with yet
    book.add("lightgbm", 0, {1: 0.9, 2: 0.8, 16: 0.4})
    book.add("lightgbm", 1, {1: 0.7, 2: 0.6})
    book.add("xgboost", 2, {1: 0.1, 2: 0.1})  # another family: not a rival
    rule = book.rule("lightgbm", 3, {"n_estimators": 20})
    assert rule.thresholds == {1: pytest.approx(0.8), 2: pytest.approx(0.7)}
    assert (
        CurveBook(NopPruner(), {"lightgbm": "n_estimators"}).rule(
            "lightgbm", 0, {"n_estimators": 20}
        )
        is None
    )

"""A resumed run whose best trial (found before the kill) cannot be refit in the time left
uses the best trial whose validated model this process kept, rather than failing."""

from types import SimpleNamespace

from fitfinder.automl import _validated_stand_in
from fitfinder.search_loop import Best
from fitfinder.trials import TrialResult


def _record(number, loss):
    return SimpleNamespace(number=number, family="glm", config={}, fidelity=None, status="done",
                           loss=loss, score=-loss, fit_time=0.1, sample_size=None)  # fmt: skip


def test_the_best_kept_validated_model_stands_in():
    best = Best(TrialResult(0, "lightgbm", {}, None, "done", loss=0.1))  # from before a resume
    records = {0: _record(0, 0.1), 4: _record(4, 0.3), 5: _record(5, 0.2)}
    finalizer = SimpleNamespace(validated={4: "model 4", 5: "model 5"})
    chosen, model, note = _validated_stand_in(best, records, finalizer, "refit timed out")
    assert (chosen.result.number, chosen.pipeline, model) == (5, "model 5", "model 5")
    assert note.startswith("refit timed out; trial 0 has no model") and "trial 5's" in note


def test_nothing_kept_means_no_model():
    best = Best(TrialResult(0, "lightgbm", {}, None, "done", loss=0.1))
    finalizer = SimpleNamespace(validated={})
    assert _validated_stand_in(best, {0: _record(0, 0.1)}, finalizer, "x") == (best, None, "x")

"""The search loop keeps the validated pipeline of each family's best trial (ensemble members
whose refits do not fit the time left use it) and no other."""

import math

from fitfinder.search.searcher import Proposal
from fitfinder.search_loop import SearchLoop
from fitfinder.trials import DONE, TrialResult

#: (family, validation loss) of the trials, in the order they are proposed
TRIALS = [("glm", 0.5), ("lightgbm", 0.4), ("glm", 0.45), ("lightgbm", 0.42), ("glm", 0.6)]


class _Searcher:
    def __init__(self, trials):
        self.queue = [Proposal(family, {"loss": loss}, "search") for family, loss in trials]

    def suggest(self, affordable):
        return self.queue.pop(0) if self.queue else None

    def observe(self, proposal, loss, seconds):
        pass

    def release(self, proposal):
        pass


class _Runner:
    """Evaluates a proposal as the worker does: its pipeline comes back only when its loss is
    below the spec's ``keep_model_below``."""

    def run(self, spec, deadline=None, on_start=None):
        if on_start is not None:
            on_start(1234)  # the worker's pid
        loss = spec.config["loss"]
        keep = spec.keep_model_below is None or loss < spec.keep_model_below
        model = f"pipeline of trial {spec.number}" if keep else None
        return TrialResult(
            spec.number, spec.family, spec.config, None, DONE, loss=loss, model=model
        )


class _Sink:
    def start_trial(self, run_id, spec, pid):
        pass

    def record_trial(self, run_id, result):
        pass

    def trial(self, ok, best_score, best_family):
        pass


def test_each_familys_best_trial_keeps_its_validated_pipeline():
    loop = SearchLoop(
        _Runner(),
        _Searcher(TRIALS),
        _Sink(),
        1,
        _Sink(),
        deadline=math.inf,
        reserve=lambda leaders, left: 0.0,
    )
    best = loop.run(n_concurrent=1)
    assert best.result.number == 1 and best.pipeline == "pipeline of trial 1"
    # glm's best (trial 2) sends its pipeline although it is worse than the best of all
    assert loop.validated_models() == {1: "pipeline of trial 1", 2: "pipeline of trial 2"}

"""Each ranking family fits on queries and ranks held-out queries better than chance."""

import numpy as np
import pytest

from fitfinder import AutoML
from fitfinder.tasks.rank.families import FAMILIES
from fitfinder.tasks.rank.metrics import ndcg
from fitfinder.tasks.rank.task import RankTask
from fitfinder.trials import TrialSpec, refit


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_ranks_better_than_random(insteval, family):
    train, test = insteval
    settings = AutoML(task="rank")
    data = RankTask().prepare(settings, train, target="relevance", group_column="student").data
    pipeline = refit(data, TrialSpec(0, family.name, family.defaults))
    scores = pipeline.predict(data.schema.conform(test))
    y, groups = test["relevance"].to_numpy(float), test["student"].to_numpy()
    rng = np.random.default_rng(0)
    chance = np.mean([ndcg(y, rng.random(len(y)), groups, 10) for _ in range(20)])
    assert ndcg(y, scores, groups, 10) > chance + 0.02

"""Each ranking family fits on queries and ranks held-out queries better than chance, and
sees every level of a categorical column."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fitfinder import AutoML
from fitfinder.data import Schema
from fitfinder.features import build_preprocessor
from fitfinder.features.preprocess import ORDINAL_MAX_CATEGORIES
from fitfinder.tasks.rank.families import FAMILIES
from fitfinder.tasks.rank.metrics import ndcg
from fitfinder.tasks.rank.task import RankTask
from fitfinder.trials import TrialSpec, refit

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"


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


def test_rankers_keep_every_level_of_a_categorical():
    """insteval's 1,128 lecturers reach the rankers as 1,128 codes; the "native" style (for
    HistGradientBoosting) folds the rarest into one code past ORDINAL_MAX_CATEGORIES."""
    path = SHARED / "insteval_lecture_rank.parquet"
    if not path.is_file():
        pytest.skip("../shared/datasets is absent")
    frame = pd.read_parquet(path, columns=["lecturer", "dept", "service"])
    schema = Schema.infer(frame)
    assert {family.preprocessing for family in FAMILIES} == {"native_wide"}
    levels = {}
    for style in ("native", "native_wide"):
        transformer, positions = build_preprocessor(schema, style)
        codes = transformer.fit_transform(schema.conform(frame))
        assert positions == (0, 1)  # lecturer, dept
        levels[style] = len(np.unique(codes[:, 0]))
    assert levels == {"native": ORDINAL_MAX_CATEGORIES, "native_wide": 1128}

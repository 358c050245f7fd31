"""A subsample of the shared ranking dataset, split by query as its protocol says."""

from pathlib import Path

import pandas as pd
import pytest
from sklearn.model_selection import GroupShuffleSplit

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"
N_QUERIES = 160  # about 4,000 rows


@pytest.fixture(scope="session")
def insteval():
    """(train, test) of ``insteval_lecture_rank``: 160 students, a quarter of them held out."""
    path = SHARED / "insteval_lecture_rank.parquet"
    if not path.is_file():
        pytest.skip("../shared/datasets is absent")
    frame = pd.read_parquet(path)
    students = frame["student"].drop_duplicates().sample(N_QUERIES, random_state=0)
    frame = frame[frame["student"].isin(students)].reset_index(drop=True)
    split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
    train, test = next(split.split(frame, groups=frame["student"]))
    return frame.iloc[train].reset_index(drop=True), frame.iloc[test].reset_index(drop=True)

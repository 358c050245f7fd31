"""Shared fixtures: real small datasets."""

from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared" / "datasets"


def _split(frame: pd.DataFrame, target: str, stratify: bool):
    train, test = train_test_split(
        frame, test_size=0.25, random_state=0, stratify=frame[target] if stratify else None
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


@pytest.fixture(scope="session")
def breast_cancer():
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.assign(target=data.target.map({0: "malignant", 1: "benign"}))
    return _split(frame, "target", stratify=True)


@pytest.fixture(scope="session")
def wine():
    frame = load_wine(as_frame=True).frame
    return _split(frame, "target", stratify=True)


@pytest.fixture(scope="session")
def concrete():
    return _split(pd.read_csv(EXAMPLES / "concrete_strength.csv"), "compressive_strength", False)


@pytest.fixture(scope="session")
def credit():
    return _split(pd.read_csv(EXAMPLES / "credit_data.csv"), "Status", stratify=True)

"""Shared fixtures: real small datasets, and live servers on loopback."""

import json
import socket
import threading
import time
from contextlib import contextmanager
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


@pytest.fixture(scope="session")
def shared_dataset():
    """Loader of a ``../shared/datasets`` table split by its protocol; skips when absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared/datasets is absent")
    manifest = {
        d["name"]: d for d in json.loads((SHARED / "manifest.json").read_text())["datasets"]
    }

    def load(name: str):
        entry = manifest[name]
        frame = pd.read_parquet(SHARED / entry["file"])
        frame = frame.drop(columns=[c for c in entry["dropped_columns"] if c in frame.columns])
        train, test = _split(frame, entry["target"], stratify=entry["task"] != "regression")
        return train, test, entry

    return load


@pytest.fixture(scope="session")
def series():
    """A loader of the shared forecast datasets as long frames (skips when they are absent)."""
    if not SHARED.is_dir():
        pytest.skip("../shared/datasets is absent")
    return lambda name: pd.read_parquet(SHARED / f"{name}.parquet")


@contextmanager
def _live_server(app):
    """uvicorn on 127.0.0.1 at a free port, in a thread; yields the base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server():
    """A context manager: ``with live_server(app) as url`` runs ``app`` until the block ends."""
    return _live_server

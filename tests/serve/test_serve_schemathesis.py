"""Schemathesis against the live server's own OpenAPI schema: no generated request gets a 5xx.

For every operation the schema lists, requests that fit it (positive) and requests that break
it (negative: wrong types, missing fields, bad media types) are sent over HTTP to a live
uvicorn server on loopback, on the ONNX and the native backend and with an API key on (with
the key, and without it).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from fitfinder.data import Schema, prepare_target  # noqa: E402
from fitfinder.estimators import FAMILIES  # noqa: E402
from fitfinder.export import export_onnx  # noqa: E402
from fitfinder.features import build_pipeline  # noqa: E402
from fitfinder.model import FittedModel  # noqa: E402
from fitfinder.serve import create_app  # noqa: E402

KEY = "fuzz-key"
EXAMPLES = 40  # per operation and generation mode (400 found nothing more)


def fitted(frame: pd.DataFrame, target: str, task: str, name: str, folder: Path) -> Path:
    """The family's cheap config fitted on ``frame``, saved in ``folder`` with its graph."""
    X, y = frame.drop(columns=target), frame[target]
    schema = Schema.infer(X)
    info = prepare_target(y, task)
    family = FAMILIES[name]
    config = family.low_cost | ({family.fidelity: 20} if family.fidelity else {})
    pipeline = build_pipeline(schema, family, config, task=task, n_rows=len(X))
    pipeline.fit(schema.conform(X), info.y)
    model = FittedModel(pipeline, schema, task, "auto", info.labels)
    model.sample = schema.conform(X.head(50))
    model.save(folder)
    export_onnx(model, folder / "model.onnx", verbose=False)
    return folder


@pytest.fixture(scope="module")
def model_dirs(credit, tmp_path_factory):
    """A LightGBM classifier on credit data, and a k-NN regressor on a table with a datetime,
    a boolean, a categorical and a numeric column."""
    rng = np.random.default_rng(0)
    n = 300
    mixed = pd.DataFrame(
        {
            "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 800, n), "D"),
            "flag": rng.random(n) < 0.5,
            "size": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    mixed["amount"] = mixed["size"] * 3 + mixed["flag"] + rng.normal(size=n)
    return {
        "lightgbm": fitted(
            credit[0], "Status", "binary", "lightgbm", tmp_path_factory.mktemp("fuzz_lgbm")
        ),
        "knn": fitted(mixed, "amount", "regression", "knn", tmp_path_factory.mktemp("fuzz_knn")),
    }


def server_errors(url: str, headers: dict[str, str], key: str) -> tuple[list[str], dict]:
    """The generated requests, over every operation, that got a status of 500 or more, and
    how many requests got each status."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers={"X-API-Key": key})
    found: list[str] = []
    statuses: dict[tuple[str, int], int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/predict", "/schema", "/health", "/ready"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                exercise(operation, mode, url, headers, found, statuses)
            except Unsatisfiable:  # nothing to break in an operation without inputs
                assert mode is GenerationMode.NEGATIVE and operation.path != "/predict"
    return found, statuses


def exercise(operation, mode, url: str, headers: dict, found: list, statuses: dict) -> None:
    """``EXAMPLES`` generated requests for ``operation`` in ``mode``, sent to ``url``."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case) -> None:
        response = case.call(base_url=url, headers=headers, timeout=30)
        seen = (case.path, response.status_code)
        statuses[seen] = statuses.get(seen, 0) + 1
        if response.status_code >= 500:
            found.append(
                f"{case.method} {case.formatted_path} ({mode.value}) -> "
                f"{response.status_code} {response.text[:200]}: {case.as_curl_command()}"
            )

    call()


@pytest.mark.parametrize(
    ("model", "backend", "key", "sent"),
    [
        ("lightgbm", "onnx", "", {}),
        ("lightgbm", "native", "", {}),
        ("knn", "onnx", "", {}),
        ("knn", "native", "", {}),
        ("lightgbm", "onnx", KEY, {"X-API-Key": KEY}),
        ("knn", "native", KEY, {"Authorization": f"Bearer {KEY}"}),
        ("lightgbm", "onnx", KEY, {}),
    ],
    ids=["lgbm-onnx", "lgbm-native", "knn-onnx", "knn-native", "key", "bearer", "no-key"],
)
def test_generated_requests_never_get_a_server_error(
    model_dirs, live_server, model, backend, key, sent
):
    app = create_app(model_dirs[model], backend=backend, api_key=key)
    with live_server(app) as url:
        errors, statuses = server_errors(url, sent, key)
    assert not errors, "\n".join(errors[:10])
    answered = {path for (path, status), _ in statuses.items() if status == 200}
    if key and not sent:  # only the probes answer without the key
        assert answered == {"/health", "/ready"}
    else:
        assert "/predict" in answered and "/schema" in answered


@pytest.mark.parametrize("backend", ["onnx", "native"])
def test_a_number_near_the_float_limit_is_answered(model_dirs, live_server, backend):
    """Found by the fuzzing above: 1.79e308 standardised overflowed to infinity, which
    scikit-learn's k-NN (and linear models) refuse, and the server answered 500."""
    app = create_app(model_dirs["knn"], backend=backend, api_key="")
    row = {"when": "2021-03-04T00:00:00", "flag": True, "colour": "red"}
    body = [row | {"size": value} for value in (1.7976931348623157e308, -1e308, 0.5)]
    with live_server(app) as url:
        response = httpx.post(f"{url}/predict", json=body, timeout=30)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 3

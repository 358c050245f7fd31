"""Schema: role inference, conform at predict time, and the JSON round trip."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fitfinder.data import Role, Schema, read_table
from fitfinder.errors import DataError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
N = 40
WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "cats",
    "sleep",
    "soundly",
]


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "num": rng.normal(size=N),
            "small_int": rng.integers(0, 5, N),
            "flag": rng.integers(0, 2, N),
            "yn": rng.choice(["yes", "no"], N),
            "truth": rng.choice([True, False], N),
            "colour": rng.choice(["red", "green", "blue"], N),
            "day": pd.date_range("2020-01-01", periods=N, freq="D").astype(str),
            "stamp": pd.date_range("2020-01-01", periods=N, freq="h"),
            "review": [" ".join(rng.choice(WORDS, 8)) for _ in range(N)],
            "uid": [f"u{i:04d}" for i in range(N)],
            "row": rng.permutation(N),
            "const": 7,
            "empty": np.nan,
        }
    )


EXPECTED = {
    "num": Role.NUMERIC,
    "small_int": Role.NUMERIC,
    "flag": Role.BOOLEAN,
    "yn": Role.BOOLEAN,
    "truth": Role.BOOLEAN,
    "colour": Role.CATEGORICAL,
    "day": Role.DATETIME,
    "stamp": Role.DATETIME,
    "review": Role.TEXT,
    "uid": Role.ID,
    "row": Role.ID,
    "const": Role.CONSTANT,
    "empty": Role.CONSTANT,
}


def test_every_role_is_inferred(mixed, caplog):
    with caplog.at_level(logging.WARNING, logger="fitfinder"):
        schema = Schema.infer(mixed)
    assert schema.roles == EXPECTED
    assert list(schema.roles) == list(mixed.columns)
    assert "dropped id-like column 'uid' (a distinct value on every row)" in caplog.messages
    assert any("'const'" in note for note in schema.notes)
    assert schema.used_columns == [c for c, r in EXPECTED.items() if r not in ("id", "constant")]
    assert schema.features(Role.ID, Role.CONSTANT) == ["uid", "row", "const", "empty"]
    assert schema.categories["colour"] == ["blue", "green", "red"]


def test_credit_data_roles():
    frame = read_table(EXAMPLES / "credit_data.csv").drop(columns="Status")
    schema = Schema.infer(frame)
    assert schema.features(Role.CATEGORICAL) == ["Home", "Marital", "Job"]
    assert schema.roles["Records"] == Role.BOOLEAN  # its values are exactly yes / no
    assert set(schema.features(Role.NUMERIC)) == set(frame.columns) - {
        "Home",
        "Marital",
        "Job",
        "Records",
    }


def test_numeric_strings_and_short_codes_are_not_dates():
    frame = pd.DataFrame(
        {"year": [str(2000 + i % 7) for i in range(30)], "code": ["ab", "cd", "ef"] * 10}
    )
    assert Schema.infer(frame).roles == {"year": Role.CATEGORICAL, "code": Role.CATEGORICAL}


def test_all_dropped_is_an_error():
    with pytest.raises(DataError, match="no usable feature columns"):
        Schema.infer(pd.DataFrame({"id": range(30), "c": 1}))


def test_conform_types_and_values(mixed):
    schema = Schema.infer(mixed)
    out = schema.conform(mixed)
    assert list(out.columns) == schema.used_columns
    for column in ("num", "small_int", "flag", "yn", "truth"):
        assert out[column].dtype == np.float64
    assert out["yn"].tolist() == (mixed["yn"] == "yes").astype(float).tolist()
    assert out["colour"].dtype == object and out["review"].dtype == object
    assert pd.api.types.is_datetime64_any_dtype(out["day"])
    assert out["day"].iloc[1] == pd.Timestamp("2020-01-02")


def test_conform_new_rows(mixed):
    schema = Schema.infer(mixed)
    row = mixed.iloc[:2].copy()
    row = row.assign(num=[np.inf, "oops"], colour=["violet", None], yn=["YES", None])
    row = row.assign(review=[None, "x"], day=["not a date", "2021-03-04"], extra=[1, 2])
    out = schema.conform(row.drop(columns=["uid", "const"]))
    assert "extra" not in out.columns
    assert np.isnan(out["num"]).all()
    assert out["colour"].iloc[0] == "violet" and pd.isna(out["colour"].iloc[1])
    assert out["yn"].iloc[0] == 1.0 and np.isnan(out["yn"].iloc[1])
    assert out["review"].tolist() == ["", "x"]
    assert pd.isna(out["day"].iloc[0]) and out["day"].iloc[1] == pd.Timestamp("2021-03-04")


def test_conform_missing_columns(mixed):
    schema = Schema.infer(mixed)
    with pytest.raises(DataError, match="missing columns: num, colour; the model was trained"):
        schema.conform(mixed.drop(columns=["num", "colour"]))


def test_conform_keeps_index_and_is_fast_on_one_row():
    frame = read_table(EXAMPLES / "credit_data.csv").drop(columns="Status")
    schema = Schema.infer(frame)
    row = frame.iloc[[5]]
    assert schema.conform(row).index.tolist() == [5]
    start = time.perf_counter()
    for _ in range(20):
        schema.conform(row)
    assert (time.perf_counter() - start) / 20 < 0.05


def test_json_round_trip(mixed):
    schema = Schema.infer(mixed)
    again = Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema
    assert again.conform(mixed).equals(schema.conform(mixed))

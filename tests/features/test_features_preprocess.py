"""build_preprocessor: every style on real data, unseen and missing values, dates and text."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fitfinder.data import Role, Schema, read_table
from fitfinder.errors import ConfigError
from fitfinder.features import DatetimeFeatures, build_preprocessor
from fitfinder.features.preprocess import TEXT_CELLS, TEXT_FEATURES, text_feature_count

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STYLES = ("scaled", "trees", "native", "native_wide")


@pytest.fixture(scope="module")
def credit():
    frame = read_table(EXAMPLES / "credit_data.csv").drop(columns="Status")
    schema = Schema.infer(frame)
    return schema, schema.conform(frame)


def _odd_rows(schema: Schema) -> pd.DataFrame:
    """One row with an unseen category, one with every value missing."""
    unseen = {"Home": "castle", "Marital": "married", "Job": "astronaut", "Records": "yes"}
    row = {column: unseen.get(column, 1.0) for column in schema.used_columns}
    return schema.conform(pd.DataFrame([row, dict.fromkeys(schema.used_columns)]))


@pytest.mark.parametrize("style", STYLES)
def test_styles_on_credit_data(credit, style):
    schema, frame = credit
    transformer, positions = build_preprocessor(schema, style)
    out = transformer.fit_transform(frame)
    odd = pickle.loads(pickle.dumps(transformer)).transform(_odd_rows(schema))
    assert out.dtype == np.float64 and odd.shape == (2, out.shape[1])
    if style in ("native", "native_wide"):
        assert positions == (0, 1, 2)  # Home, Marital, Job come first
        assert np.isnan(out).any() and np.isnan(odd[1]).all()
        assert np.isnan(odd[0, 0]) and np.isnan(odd[0, 2]) and odd[0, 1] == 1.0  # married
        assert (
            np.isfinite(out[:, positions]).sum()
            == frame[["Home", "Marital", "Job"]].notna().sum().sum()
        )
    else:
        assert positions == ()
        assert np.isfinite(out).all() and np.isfinite(odd).all()
    if style == "scaled":
        assert out.shape[1] > len(schema.used_columns)  # one-hot and missing indicators
        flags = np.isin(out, (0.0, 1.0)).all(axis=0)
        assert flags.any() and not flags.all()  # one-hot columns and missing indicators
        assert np.allclose(out[:, ~flags].mean(axis=0), 0, atol=1e-9)  # the rest standardised
        assert np.allclose(out[:, ~flags].std(axis=0), 1)
    if style == "trees":
        assert out.shape[1] == len(schema.used_columns)
        assert odd[0, 0] == -1 and odd[1, 0] == -1  # unseen and missing categories


def test_datetime_and_text_columns():
    n = 30
    frame = pd.DataFrame(
        {
            "when": pd.date_range("2021-01-01", periods=n, freq="36h"),
            "day": pd.date_range("2021-01-01", periods=n, freq="D").astype(str),
            "review": [
                f"item {i} arrived broken and very late again"
                if i % 2
                else f"great value {i}, loved it and would buy again"
                for i in range(n)
            ],
            "x": np.linspace(0, 1, n),
        }
    )
    schema = Schema.infer(frame)
    assert schema.features(Role.DATETIME, Role.TEXT) == ["when", "day", "review"]
    transformer, _ = build_preprocessor(schema, "native", n_rows=n)
    out = transformer.fit_transform(schema.conform(frame))
    names = list(transformer.get_feature_names_out())
    assert {"text_review__broken", "text_review__arrived broken"} <= set(names)
    assert "datetime__when_hour" in names and "datetime__day_hour" not in names
    assert out[1, names.index("datetime__when_hour")] == 12
    assert out[0, names.index("datetime__day_weekday")] == 4  # 2021-01-01 was a Friday


def test_text_vocabulary_shrinks_as_rows_grow():
    fewest, most = TEXT_FEATURES
    assert text_feature_count(1_000) == most
    assert text_feature_count(10_000_000) == fewest
    assert text_feature_count(10_000) == TEXT_CELLS // 10_000
    assert text_feature_count(10_000) > text_feature_count(20_000)


def test_datetime_features_mark_missing_as_nan():
    dates = pd.DataFrame({"d": pd.to_datetime(["2020-02-29 10:00", None])})
    out = DatetimeFeatures().fit(dates).transform(dates)
    assert out[0].tolist() == [2020, 2, 29, 5, 10]
    assert np.isnan(out[1]).all()


def test_unknown_style(credit):
    with pytest.raises(ConfigError, match="unknown preprocessing style 'raw'"):
        build_preprocessor(credit[0], "raw")

"""Request bodies to conformed columns: values mapped per column, bad rows named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fitfinder.data import Schema
from fitfinder.serve.validate import RequestError, parse_body, to_columns

SCHEMA = Schema.infer(
    pd.DataFrame(
        {
            "color": ["red", "blue", "red", None] * 10,
            "member": ["yes", "no", "no", "yes"] * 10,
            "x": [1.5, 2.0, None, 4.0] * 10,
        }
    )
)
COLUMNS = SCHEMA.used_columns


def conformed(body: bytes) -> dict[str, np.ndarray]:
    return to_columns(parse_body(body, "application/json", COLUMNS), SCHEMA)


def test_records_become_typed_columns():
    body = (
        b'[{"color": "red", "member": true, "x": 1},'
        b' {"color": null, "member": "No", "x": null, "extra": 5},'
        b' {"color": 7, "member": "1", "x": 2.5},'
        b' {"color": "red", "member": null, "x": -3}]'
    )
    columns = conformed(body)
    assert columns["color"].tolist()[::2] == ["red", "7"]
    assert pd.isna(columns["color"][1]) and columns["color"][3] == "red"
    np.testing.assert_array_equal(columns["member"], [1.0, 0.0, 1.0, np.nan])
    np.testing.assert_array_equal(columns["x"], [1.0, np.nan, 2.5, -3.0])


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        (
            b'[{"color": "a", "member": true, "x": 1}, {"color": "a", "x": 1}]',
            "row 1 lacks",
            "member",
        ),
        (b'[{"color": "a", "member": true, "x": 1}, [1, 2, 3]]', "row 1 is not an object", None),
        (b'{"color": ["a", "b"], "member": [true, "perhaps"], "x": [1, 2]}', "row 1", "member"),
        (b'{"color": ["a", ["b"]], "member": [true, false], "x": [1, 2]}', "row 1", "color"),
    ],
    ids=["lacks a column", "not an object", "not a flag", "not a scalar"],
)
def test_bad_rows_are_named(body, message, field):
    with pytest.raises(RequestError, match=message) as caught:
        conformed(body)
    assert caught.value.status == 422 and caught.value.field == field


def test_the_first_bad_flag_is_the_one_reported():
    body = b'{"color": ["a", "b", "c", "d"], "member": ["yes", "maybe", "no", "sure"], "x": [1, 2, 3, 4]}'
    with pytest.raises(RequestError, match="row 1: expected true/false, got 'maybe'"):
        conformed(body)

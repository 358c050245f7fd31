"""Fuzzing the loader and schema inference with hypothesis: any table, any bytes in a CSV file,
end in a valid result (every column has a role, conform works) or in a FitfinderError with a
one-line message, never another exception."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitfinder.data import Schema, read_table
from fitfinder.errors import FitfinderError

FUZZ = settings(
    max_examples=int(os.environ.get("FITFINDER_FUZZ_EXAMPLES", 50)),  # more for a bug hunt
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# cells as a CSV file spells them: numbers, words, dates, missing markers, quotes, delimiters
WORDS = st.sampled_from(
    ["", "a", "yes", "no", "NA", "null", "inf", "-inf", "nan", "1e400", "Zürich", "ß€", "x y z"]
)
CELL_TEXT = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    WORDS,
    st.dates().map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.text(alphabet=",;\t|\"'\n\r ", max_size=4),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"])
DELIMITERS = st.sampled_from([",", ";", "\t", "|"])
SUFFIXES = st.sampled_from([".csv", ".tsv", ".txt"])

# Python values a DataFrame column may hold
VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    WORDS,
    st.text(max_size=40),
    st.datetimes(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def assert_valid_or_one_line(call):
    """``call()``'s result, or None when it raised a FitfinderError with a one-line message."""
    try:
        return call()
    except FitfinderError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message, repr(message)
        return None


def check_schema(frame: pd.DataFrame) -> None:
    schema = assert_valid_or_one_line(lambda: Schema.infer(frame))
    if schema is None:
        return
    assert list(schema.roles) == [str(c) for c in frame.columns]  # every column, in order
    assert schema.used_columns
    conformed = schema.conform(frame)
    assert list(conformed.columns) == schema.used_columns and len(conformed) == len(frame)
    assert Schema.from_dict(schema.to_dict()).roles == schema.roles


def write_csv(
    header: list[str], rows: list[list[str]], delimiter: str, encoding: str, suffix: str
) -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    return "\n".join(lines).encode(encoding, errors="replace")


@st.composite
def csv_bytes(draw) -> tuple[bytes, str]:
    n_cols = draw(st.integers(1, 5))
    header = draw(st.lists(st.one_of(WORDS, st.text(max_size=6)), min_size=n_cols, max_size=n_cols))
    ragged = draw(st.booleans())
    row = st.lists(
        CELL_TEXT, min_size=1 if ragged else n_cols, max_size=n_cols + 1 if ragged else n_cols
    )
    rows = draw(st.lists(row, max_size=15))
    suffix = draw(SUFFIXES)
    data = write_csv(header, rows, draw(DELIMITERS), draw(ENCODINGS), suffix)
    return data, suffix


@FUZZ
@given(csv_bytes())
def test_reading_a_generated_csv_is_valid_or_one_line(case):
    data, suffix = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"t{suffix}"
        path.write_bytes(data)
        frame = assert_valid_or_one_line(lambda: read_table(path))
    if frame is None:
        return
    assert len(frame) >= 1 and frame.columns.is_unique
    check_schema(frame)


@FUZZ
@given(st.binary(max_size=300), SUFFIXES)
def test_reading_arbitrary_bytes_is_valid_or_one_line(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"t{suffix}"
        path.write_bytes(data)
        frame = assert_valid_or_one_line(lambda: read_table(path))
    if frame is not None:
        check_schema(frame)


@FUZZ
@given(st.binary(max_size=300))
def test_reading_arbitrary_bytes_as_parquet_is_one_line(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.parquet"
        path.write_bytes(data)
        assert assert_valid_or_one_line(lambda: read_table(path)) is None


COLUMN_KINDS = {
    "float": lambda n: st.lists(
        st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n
    ),
    "int": lambda n: st.lists(st.integers(-1000, 1000), min_size=n, max_size=n),
    "bool": lambda n: st.lists(st.booleans(), min_size=n, max_size=n),
    "words": lambda n: st.lists(st.one_of(st.none(), WORDS), min_size=n, max_size=n),
    "mixed": lambda n: st.lists(VALUE, min_size=n, max_size=n),
    "dates": lambda n: st.lists(st.one_of(st.none(), st.dates().map(str)), min_size=n, max_size=n),
    "sentences": lambda n: st.lists(
        st.lists(WORDS, min_size=3, max_size=8).map(" ".join), min_size=n, max_size=n
    ),
}


# pandas' own column types a DataFrame may hold instead of NumPy's
EXTENSION_DTYPES = {
    "int": ("Int64", "category", "float32"),
    "bool": ("boolean",),
    "words": ("category", "string"),
    "float": ("Float64",),
    "dates": ("category",),
}


@st.composite
def data_frames(draw) -> pd.DataFrame:
    n_rows = draw(st.integers(1, 30))
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMN_KINDS)), min_size=1, max_size=5))
    names = draw(
        st.lists(st.text(max_size=5), min_size=len(kinds), max_size=len(kinds), unique=True)
    )
    columns = {}
    for name, kind in zip(names, kinds, strict=True):
        values = draw(COLUMN_KINDS[kind](n_rows))
        columns[name] = pd.Series(values, dtype=object if kind == "mixed" else None)
        dtype = draw(st.sampled_from([None, *EXTENSION_DTYPES.get(kind, ())]))
        if dtype is not None:
            columns[name] = columns[name].astype(dtype)
    return pd.DataFrame(columns)


@FUZZ
@given(data_frames())
def test_schema_inference_on_generated_frames_is_valid_or_one_line(frame):
    check_schema(frame)


@FUZZ
@given(data_frames(), data_frames())
def test_conforming_other_rows_is_valid_or_one_line(train, other):
    schema = assert_valid_or_one_line(lambda: Schema.infer(train))
    if schema is None:
        return
    extra = [f"extra {i}" for i in range(other.shape[1] - train.shape[1])]  # never a train name
    rows = other.set_axis([*train.columns[: other.shape[1]], *extra], axis=1)
    conformed = assert_valid_or_one_line(lambda: schema.conform(rows))
    if conformed is not None:  # else: missing columns, lists as values... (one line)
        assert list(conformed.columns) == schema.used_columns
        numeric = conformed.select_dtypes("number").to_numpy(dtype=np.float64)
        assert not np.isinf(numeric).any()

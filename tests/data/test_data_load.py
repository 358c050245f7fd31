"""read_table and as_frame: formats, encodings, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fitfinder.data import as_frame, read_table
from fitfinder.errors import DataError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_reads_the_bundled_credit_csv():
    frame = read_table(EXAMPLES / "credit_data.csv")
    assert frame.shape == (4454, 14)
    assert frame["Income"].dtype == np.float64


def test_sniffs_semicolon_with_decimal_commas(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("name;amount;note\nann;1,5;x\nbob;2,25;y\n")
    frame = read_table(path)
    assert list(frame.columns) == ["name", "amount", "note"]
    assert frame["amount"].tolist() == ["1,5", "2,25"]


def test_reads_tsv_and_pipe(tmp_path):
    (tmp_path / "a.tsv").write_text("a\tb\n1\t2\n")
    (tmp_path / "b.csv").write_text("a|b\n1|2\n3|4\n")
    assert read_table(tmp_path / "a.tsv").to_dict("list") == {"a": [1], "b": [2]}
    assert read_table(tmp_path / "b.csv").to_dict("list") == {"a": [1, 3], "b": [2, 4]}


def test_latin1_and_utf8_bom(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("ville,prix\nMontréal,3\nZürich,4\n".encode("latin-1"))
    assert read_table(latin)["ville"].tolist() == ["Montréal", "Zürich"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffcity,n\nOslo,1\n".encode())
    assert list(read_table(bom).columns) == ["city", "n"]


def test_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]})
    for suffix in (".parquet", ".pq"):
        frame.to_parquet(tmp_path / f"t{suffix}")
        pd.testing.assert_frame_equal(read_table(tmp_path / f"t{suffix}"), frame)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("a,b\n", "has no rows"),
        ("a,b,a\n1,2,3\n", "duplicate column names in .*: a; rename them"),
    ],
)
def test_bad_csv_contents(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_table(path)


def test_bad_paths(tmp_path):
    with pytest.raises(DataError, match=r"file not found: .*nope\.csv; check the path"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        read_table(tmp_path)
    (tmp_path / "t.xlsx").write_bytes(b"x")
    with pytest.raises(DataError, match=r"unsupported file type '\.xlsx'"):
        read_table(tmp_path / "t.xlsx")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="cannot read .* as Parquet"):
        read_table(tmp_path / "broken.parquet")


def test_as_frame_names_array_columns():
    frame = as_frame(np.arange(6).reshape(3, 2))
    assert list(frame.columns) == ["x0", "x1"]
    assert list(as_frame([[1, "a"], [2, "b"]], columns=["n", "s"]).columns) == ["n", "s"]


def test_as_frame_passes_dataframes_through():
    frame = pd.DataFrame({"a": [1, 2]})
    assert as_frame(frame) is frame
    assert list(as_frame(pd.DataFrame([[1, 2]])).columns) == ["0", "1"]


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.arange(3), "1-D"),
        (np.empty((0, 2)), "empty"),
        (pd.DataFrame(), "empty"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), "duplicate column names in X: a"),
        ([[1, 2], [3]], "different lengths"),
        ("text", "must be a DataFrame"),
    ],
)
def test_as_frame_errors(X, message):
    with pytest.raises(DataError, match=message):
        as_frame(X)

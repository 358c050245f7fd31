"""Reading tables from files and turning array-likes into DataFrames."""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from fitfinder.errors import DataError

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
ENCODINGS = ("utf-8-sig", "cp1252")  # utf-8-sig also reads plain utf-8; latin-1 is the fallback
# a byte-order mark names its encoding (UTF-32's LE mark starts like UTF-16's: test it first)
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
DELIMITERS = ",;\t|"
SNIFF_LINES = 50
SNIFF_CHARS = 100_000  # the delimiter sniffer is slow on huge fields: it sees this much at most


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV / TSV (delimiter and encoding detected) or Parquet file into a DataFrame."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"file not found: {path}; check the path")
    if path.is_dir():
        raise DataError(f"{path} is a directory; give a CSV or Parquet file")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | PARQUET_SUFFIXES:
        raise DataError(f"unsupported file type '{suffix}' for {path}; use .csv, .tsv or .parquet")
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path} is empty; give a file with a header and rows")
        frame = _read_parquet(path) if suffix in PARQUET_SUFFIXES else _read_csv(path)
    except OSError as exc:
        raise DataError(
            f"cannot read {path}: {exc.strerror or exc}; check its permissions"
        ) from exc
    if frame.empty:
        raise DataError(f"{path} has no rows; give a file with a header and rows")
    check_unique_columns(frame.columns, str(path))
    return frame


def as_frame(X: object, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """``X`` as a DataFrame: DataFrames pass through, 2-D arrays and lists get columns x0..xN-1."""
    frame = X if isinstance(X, pd.DataFrame) else _array_to_frame(X, columns)
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(f"X is empty (shape {frame.shape}); pass a table with rows and columns")
    check_unique_columns(frame.columns, "X")
    if isinstance(frame.columns, pd.MultiIndex):
        raise DataError(
            "X has multi-level column names; flatten them first, e.g. "
            "X.columns = ['_'.join(map(str, c)) for c in X.columns]"
        )
    if not all(isinstance(name, str) for name in frame.columns):
        frame = frame.rename(columns=str)
    return frame


def check_unique_columns(columns: Iterable[object], where: str) -> None:
    """Raise a DataError naming the duplicated column names, if any."""
    dups = [str(name) for name, count in Counter(columns).items() if count > 1]
    if dups:
        raise DataError(f"duplicate column names in {where}: {', '.join(dups)}; rename them")


def _array_to_frame(X: object, columns: Iterable[str] | None) -> pd.DataFrame:
    if isinstance(X, pd.Series | str | bytes) or not hasattr(X, "__len__"):
        raise DataError(
            f"X must be a DataFrame, a 2-D array or a list of rows; got {type(X).__name__}"
        )
    try:
        ndim = np.ndim(X)
    except ValueError as exc:
        raise DataError("X has rows of different lengths; pass a rectangular table") from exc
    if ndim != 2:
        raise DataError(f"X is {ndim}-D; pass a 2-D table (one row per sample)")
    n_cols = np.shape(X)[1]
    names = [f"x{i}" for i in range(n_cols)] if columns is None else [str(c) for c in columns]
    if len(names) != n_cols:
        raise DataError(f"{len(names)} column names given for {n_cols} columns in X; match them")
    return pd.DataFrame(X, columns=names).infer_objects()


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        check_unique_columns(pq.read_schema(path).names, str(path))
        return pd.read_parquet(path)
    except (OSError, DataError):
        raise
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise DataError(f"cannot read {path} as Parquet: {_first_line(exc)}") from exc


def _read_csv(path: Path) -> pd.DataFrame:
    text = _decode(path.read_bytes(), path)
    lines = text.splitlines()
    delimiter = _sniff_delimiter(lines, default="\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        header = next(csv.reader(lines[:1], delimiter=delimiter), [])
    except csv.Error as exc:  # a header field over the csv module's 128 KiB limit
        raise DataError(f"cannot parse the header row of {path}: {exc}; check the file") from exc
    check_unique_columns(header, str(path))
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path} is empty; give a file with a header and rows") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"cannot parse {path} as CSV: {_first_line(exc)}") from exc


def _decode(data: bytes, path: Path) -> str:
    """The text of a CSV file: UTF-16/32 when a byte-order mark says so, else UTF-8 (BOM
    dropped), else Windows-1252, else latin-1. A NUL byte elsewhere means binary data."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DataError(f"cannot decode {path} as {encoding.upper()}: {exc}") from exc
    if b"\x00" in data[:SNIFF_CHARS]:
        raise DataError(
            f"{path} holds binary data (NUL bytes), not CSV text; give a CSV or Parquet file "
            "(UTF-16 files need their byte-order mark)"
        )
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _sniff_delimiter(lines: list[str], default: str) -> str:
    sample = "\n".join(lines[:SNIFF_LINES])[:SNIFF_CHARS]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return default


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

"""Request bodies -> the conformed frame a model takes, or a RequestError naming the field.

Accepted bodies: JSON as a list of records (``[{"col": value, ...}, ...]``) or as column arrays
(``{"col": [v1, v2, ...], ...}``), or CSV (``text/csv``) with a header row. Every used column
must be present (``null`` / an empty CSV cell is a missing value); extra columns are ignored.
Nothing is ever unpickled: bodies are parsed as JSON or CSV text only.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from operator import itemgetter
from typing import Any

import numpy as np
import orjson
import pandas as pd

from fitfinder.data.schema import BOOL_MAP, CONVERTERS, Role, Schema, parse_dates

SCALARS = (str, int, float)  # what JSON and CSV cells hold (bool is an int)
SCALAR_TYPES = frozenset({*SCALARS, bool, type(None)})  # exact types, for a fast check


class RequestError(Exception):
    """A bad request: HTTP ``status``, a one-line ``message`` and the ``field`` at fault."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field

    def payload(self) -> dict:
        return {"error": self.message, "field": self.field}


def parse_body(body: bytes, content_type: str, columns: list[str]) -> dict[str, list]:
    """The used ``columns`` of a JSON or CSV body, each as a list of raw values."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return _csv_columns(body, columns)
    if kind not in ("", "application/json"):
        raise RequestError(
            415, f"unsupported content type '{kind}'; send application/json or text/csv"
        )
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:  # maybe NaN / Infinity literals: parse them to refuse by field
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RequestError(400, f"body is not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise RequestError(400, "body is not valid JSON: nested too deeply") from exc
    if isinstance(data, list):
        return _record_columns(data, columns)
    if isinstance(data, dict):
        return _array_columns(data, columns)
    raise RequestError(422, "body must be a list of records or an object of column arrays")


def _record_columns(records: list, columns: list[str]) -> dict[str, list]:
    """Records transposed to columns (``itemgetter`` over the rows: no Python loop per value)."""
    if not records:
        raise RequestError(400, "empty batch: send at least one row")
    try:
        return {c: list(map(itemgetter(c), records)) for c in columns}
    except (KeyError, TypeError) as exc:
        raise _bad_record(records, columns) from exc


def _bad_record(records: list, columns: list[str]) -> RequestError:
    """The error naming the first record that is not an object or lacks a used column."""
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            return RequestError(422, f"row {i} is not an object of column values")
        missing = [c for c in columns if c not in record]
        if missing:
            return RequestError(422, f"row {i} lacks column '{missing[0]}'", missing[0])
    return RequestError(422, "records must be objects of column values")


def _array_columns(data: dict, columns: list[str]) -> dict[str, list]:
    missing = [c for c in columns if c not in data]
    if missing:
        raise RequestError(422, f"missing column '{missing[0]}'", missing[0])
    lengths = set()
    for c in columns:
        if not isinstance(data[c], list):
            raise RequestError(422, f"column '{c}' must be an array of values", c)
        lengths.add(len(data[c]))
    if len(lengths) > 1:
        raise RequestError(422, "column arrays have different lengths")
    if lengths == {0}:
        raise RequestError(400, "empty batch: send at least one row")
    return {c: data[c] for c in columns}


def _csv_columns(body: bytes, columns: list[str]) -> dict[str, list]:
    try:
        frame = pd.read_csv(io.BytesIO(body), dtype=object, keep_default_na=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RequestError(400, f"body is not valid CSV: {reason}; send UTF-8 CSV text") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RequestError(422, f"missing column '{missing[0]}'", missing[0])
    if frame.empty:
        raise RequestError(400, "empty batch: send at least one row")
    return {c: frame[c].tolist() for c in columns}


def to_columns(columns: dict[str, list], schema: Schema) -> dict[str, np.ndarray]:
    """Each column checked against its role and conformed (as ``Schema.conform`` would)."""
    return {name: CHECKS[schema.roles[name]](name, values) for name, values in columns.items()}


def _bad(name: str, i: int, what: str) -> RequestError:
    return RequestError(422, f"column '{name}' row {i}: {what}", name)


def _present(values: list) -> list[bool]:
    return [v is not None and not (isinstance(v, float) and math.isnan(v)) for v in values]


def _scalars(name: str, values: list) -> None:
    """Refuse a list or an object among ``values``, naming its row."""
    if set(map(type, values)) <= SCALAR_TYPES:
        return
    for i, v in enumerate(values):
        if v is not None and not isinstance(v, SCALARS):
            raise _bad(name, i, f"expected a single value, got {type(v).__name__}")


def _numbers(name: str, values: list) -> np.ndarray:
    """float64 with NaN for missing; strings that read as numbers are taken (CSV cells)."""
    try:
        numbers = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        numbers = None
    if numbers is None or numbers.ndim != 1:
        _scalars(name, values)
        i = next(i for i, v in enumerate(values) if not _is_number(v))
        raise _bad(name, i, f"expected a number, got {values[i]!r}")
    infinite = np.isinf(numbers)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise _bad(name, i, f"non-finite number {values[i]!r}; use null for a missing value")
    return numbers


def _is_number(value) -> bool:
    try:
        float(value if value is not None else "nan")
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _flags(name: str, values: list) -> np.ndarray:
    """1.0 / 0.0 for true/false, 1/0 and yes/no-like words; NaN for missing."""
    flags = _per_distinct(name, values, _flag, "true/false")
    return flags.astype(np.float64)


def _flag(value) -> float | None:
    return float(value) if isinstance(value, bool) else BOOL_MAP.get(str(value).strip().lower())


def _categories(name: str, values: list) -> np.ndarray:
    """Strings, NaN for missing (unseen categories are left to the model, as in predict)."""
    return _per_distinct(name, values, str, "a category")


def _per_distinct(name: str, values: list, convert: Callable[[Any], Any], what: str) -> np.ndarray:
    """``convert`` applied once per distinct value (as ``Schema.conform`` does), NaN where
    missing; the first row whose value it turns into None is refused as not ``what``."""
    _scalars(name, values)
    codes, distinct = pd.factorize(np.array(values, dtype=object))
    table = np.empty(len(distinct) + 1, dtype=object)
    table[:-1] = [convert(v) for v in distinct]
    table[-1] = np.nan  # code -1: missing
    refused = np.flatnonzero(np.equal(table, None))
    if len(refused):
        i = int(np.flatnonzero(codes == refused[0])[0])
        raise _bad(name, i, f"expected {what}, got {values[i]!r}")
    return table[codes]


def _dates(name: str, values: list) -> np.ndarray:
    _scalars(name, values)
    parsed = parse_dates(pd.Series(values, dtype=object))
    bad = np.asarray(_present(values)) & parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _bad(name, i, f"expected a date, got {values[i]!r}")
    return parsed.to_numpy()


def _text(name: str, values: list) -> np.ndarray:
    _scalars(name, values)
    return CONVERTERS[Role.TEXT](pd.Series(values, dtype=object))


CHECKS: dict[Role, Callable[[str, list], np.ndarray]] = {
    Role.NUMERIC: _numbers,
    Role.BOOLEAN: _flags,
    Role.CATEGORICAL: _categories,
    Role.DATETIME: _dates,
    Role.TEXT: _text,
}

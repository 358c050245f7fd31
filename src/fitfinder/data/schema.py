"""Column roles: what each input column is, and how to bring new data into the trained shape."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from fitfinder.data.load import check_unique_columns
from fitfinder.errors import DataError

log = logging.getLogger("fitfinder")

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "1.0"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "0.0"})
BOOL_MAP = {word: 1.0 for word in TRUE_WORDS} | {word: 0.0 for word in FALSE_WORDS}
DATETIME_SHARE = 0.9  # share of non-missing strings that must parse as dates
TEXT_MIN_CHARS = 30
TEXT_MIN_WORDS = 3
TEXT_MIN_DISTINCT = 0.5  # distinct values / non-missing values
ID_MIN_ROWS = 20
SAMPLE = 2000  # values looked at for date and text detection
MAX_STORED_CATEGORIES = 1000
MIXED_NUMERIC_SHARE = 0.5  # numbers among a categorical column's values that earn a note


class Role(StrEnum):
    """What a column is; ``id`` and ``constant`` columns are dropped."""

    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"
    DATETIME = "datetime"
    TEXT = "text"
    ID = "id"
    CONSTANT = "constant"


DROPPED_ROLES = frozenset({Role.ID, Role.CONSTANT})


@dataclass
class Schema:
    """The role of every input column (in input order), its dtype, and notes for the user.

    ``categories`` holds the most frequent seen categories of each categorical column (at most
    1000 each, sorted).
    """

    roles: dict[str, Role]
    dtypes: dict[str, str] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: where text columns' dense embeddings come from (``fitfinder.tasks.text.embed``):
    #: None for the bundled model's static table, "full", or a model folder
    text_embeddings: str | None = None

    @classmethod
    def infer(cls, X: pd.DataFrame, text_columns: Sequence[str] | None = None) -> Schema:
        """Infer each column's role from its dtype and values (see ``_infer_role``).

        ``text_columns`` overrides the text detection: exactly those columns are text (a
        column detected as text but not named becomes categorical).
        """
        check_unique_columns(X.columns, "X")
        named = _named_text(X, text_columns)
        schema = cls(roles={})
        for column in X.columns:
            name, series = str(column), X[column]
            role, note = _infer_role(series, name)
            if named is not None and (name in named) != (role is Role.TEXT):
                role, note = _override_text(series, name, name in named)
            schema.roles[name] = role
            schema.dtypes[name] = str(series.dtype)
            if role is Role.CATEGORICAL:
                schema.categories[name] = _top_categories(series)
            if note:
                schema.notes.append(note)
                if role is Role.ID:
                    log.warning(note)
        if not schema.used_columns:
            raise DataError(
                "no usable feature columns: every column is id-like or constant; "
                "add informative features"
            )
        return schema

    def features(self, *roles: Role) -> list[str]:
        """The columns with any of ``roles``, in input order."""
        return [name for name, role in self.roles.items() if role in roles]

    @property
    def used_columns(self) -> list[str]:
        """The columns a model uses: all but id and constant ones."""
        return [name for name, role in self.roles.items() if role not in DROPPED_ROLES]

    def conform(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` with only the used columns, in trained order, each coerced to its role's dtype.

        Numeric and boolean become float64 (unparseable and infinite values NaN), categoricals
        object strings (NaN kept), datetimes datetime64 (NaT where unparseable), text strings
        ("" where missing). Extra columns are dropped; missing ones raise a DataError.
        """
        check_unique_columns(X.columns, "X")
        if not all(isinstance(name, str) for name in X.columns):
            X = X.rename(columns=str)
        used = self.used_columns
        missing = [name for name in used if name not in X.columns]
        if missing:
            raise DataError(
                f"missing columns: {', '.join(missing)}; the model was trained with them"
            )
        # Series with their arrays' own dtypes keep object columns object (pandas 3 infers "str")
        columns = {}
        for name in used:
            try:
                columns[name] = CONVERTERS[self.roles[name]](X[name])
            except TypeError as exc:  # lists, dicts, sets or arrays as values
                raise _not_single_values(X[name], name) or exc from exc
        data = {name: pd.Series(a, dtype=a.dtype, copy=False) for name, a in columns.items()}
        frame = pd.DataFrame(data, copy=False)
        frame.index = X.index
        return frame

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form; ``Schema.from_dict`` reverses it."""
        return {
            "roles": {name: role.value for name, role in self.roles.items()},
            "dtypes": dict(self.dtypes),
            "categories": {name: list(values) for name, values in self.categories.items()},
            "notes": list(self.notes),
            **({"text_embeddings": self.text_embeddings} if self.text_embeddings else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        """The schema that ``to_dict`` produced."""
        return cls(
            roles={name: Role(role) for name, role in data["roles"].items()},
            dtypes=dict(data.get("dtypes", {})),
            categories={name: list(v) for name, v in data.get("categories", {}).items()},
            notes=list(data.get("notes", [])),
            text_embeddings=data.get("text_embeddings"),
        )


def _infer_role(series: pd.Series, name: str) -> tuple[Role, str | None]:
    """The role of one column, and a note when it is dropped.

    Rules, in order: all missing or a single value -> constant; bool dtype or exactly the two
    values 0/1 or yes/no, true/false, y/n, t/f -> boolean; datetime dtype -> datetime; other
    numeric -> numeric, except integer columns with a distinct value on every row (>= 20 rows)
    that are sorted or a permutation of a contiguous range -> id; strings where >= 90 % parse
    as dates -> datetime; long multi-word mostly-distinct strings -> text; strings with a distinct
    value on every row (>= 20 rows) -> id; other strings -> categorical.
    """
    values = series.dropna()
    try:
        n_distinct = values.nunique()
    except TypeError as exc:  # lists, dicts, sets or arrays as values
        raise _not_single_values(values, name) or exc from exc
    if n_distinct <= 1:
        blank = (
            not values.empty
            and not ptypes.is_numeric_dtype(values)
            and not str(values.iloc[0]).strip()
        )
        what = (
            "all missing" if values.empty else "empty on every row" if blank else "a single value"
        )
        return Role.CONSTANT, f"dropped constant column '{name}' ({what})"
    if ptypes.is_bool_dtype(series) or (n_distinct == 2 and _is_two_valued_flag(values)):
        return Role.BOOLEAN, None
    if ptypes.is_datetime64_any_dtype(series):
        return Role.DATETIME, None
    unique_per_row = n_distinct == len(series) >= ID_MIN_ROWS
    if ptypes.is_numeric_dtype(series):
        if ptypes.is_integer_dtype(series) and unique_per_row and _is_row_counter(values):
            return Role.ID, f"dropped id-like column '{name}' (a distinct integer on every row)"
        return Role.NUMERIC, None
    sample = values.iloc[:SAMPLE]
    if _looks_like_dates(sample):
        return Role.DATETIME, None
    if _looks_like_text(sample.astype(str)):
        return Role.TEXT, None
    if unique_per_row:
        return Role.ID, f"dropped id-like column '{name}' (a distinct value on every row)"
    return Role.CATEGORICAL, _mixed_note(sample, name)


def _not_single_values(values: pd.Series, name: str) -> DataError | None:
    """The error naming a column that holds lists, dicts, sets or arrays (None if it does not)."""
    odd = next((v for v in values if not ptypes.is_scalar(v)), None)
    if odd is None:
        return None
    return DataError(
        f"column '{name}' holds {type(odd).__name__} values, not single values; "
        "flatten it into plain columns or drop it"
    )


def _mixed_note(sample: pd.Series, name: str) -> str | None:
    """A note when a column read as categorical is mostly numbers with a few words in it."""
    numbers = pd.to_numeric(sample.astype(object), errors="coerce").notna()
    if numbers.mean() < MIXED_NUMERIC_SHARE or numbers.all():
        return None
    word = sample[~numbers].iloc[0]
    return (
        f"column '{name}' mixes numbers and words (e.g. {word!r}): read as categorical; "
        "replace the words by empty cells to use it as numbers"
    )


def _named_text(X: pd.DataFrame, text_columns: Sequence[str] | None) -> set[str] | None:
    """The named text columns (None: detect them); a DataError names one that is absent."""
    if text_columns is None:
        return None
    names = {str(c) for c in X.columns}
    absent = [c for c in text_columns if c not in names]
    if absent:
        raise DataError(f"text_columns names '{absent[0]}', which is not a column of the data")
    return set(text_columns)


def _override_text(series: pd.Series, name: str, text: bool) -> tuple[Role, str | None]:
    """The role of a column the user named as text (or left out of ``text_columns``)."""
    if text:
        if series.dropna().astype(str).str.strip().eq("").all():
            raise DataError(
                f"text column '{name}' is empty on every row; drop it from text_columns"
            )
        return Role.TEXT, None
    return Role.CATEGORICAL, None


def _is_two_valued_flag(values: pd.Series) -> bool:
    if ptypes.is_numeric_dtype(values):
        return set(values.unique().tolist()) == {0, 1}
    words = set(values.astype(str).str.strip().str.lower().unique().tolist())
    return len(words) == 2 and len(words & TRUE_WORDS) == 1 and len(words & FALSE_WORDS) == 1


def _is_row_counter(values: pd.Series) -> bool:
    span = int(values.max()) - int(values.min()) + 1
    return values.is_monotonic_increasing or values.is_monotonic_decreasing or span == len(values)


def _looks_like_dates(sample: pd.Series) -> bool:
    if isinstance(sample.dtype, pd.CategoricalDtype):
        sample = sample.astype(str)
    if pd.to_numeric(sample, errors="coerce").notna().mean() > 0.5:
        return False  # years or counts stored as text are not dates
    return parse_dates(sample).notna().mean() >= DATETIME_SHARE


def _looks_like_text(sample: pd.Series) -> bool:
    distinct = sample.nunique() / len(sample)
    mean_words = sample.str.split().str.len().mean()
    return (
        sample.str.len().mean() >= TEXT_MIN_CHARS
        and mean_words >= TEXT_MIN_WORDS
        and distinct >= TEXT_MIN_DISTINCT
    )


def _top_categories(series: pd.Series) -> list[str]:
    counts = series.dropna().astype(str).value_counts()
    return sorted(counts.index[:MAX_STORED_CATEGORIES].tolist())


def parse_dates(series: pd.Series) -> pd.Series:
    """Dates as naive UTC datetime64, NaT where a value does not parse; no warnings printed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(series, errors="coerce", utc=True)
    return parsed.dt.tz_localize(None)


def _to_float(series: pd.Series) -> np.ndarray:
    if ptypes.is_numeric_dtype(series):  # bool included
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isinf(numbers), np.nan, numbers)


def _to_boolean(series: pd.Series) -> np.ndarray:
    if ptypes.is_numeric_dtype(series):
        return _to_float(series)
    return _map_distinct(series, _flag, np.nan).astype(np.float64)


def _to_category(series: pd.Series) -> np.ndarray:
    return _map_distinct(series, str, np.nan)


def _to_text(series: pd.Series) -> np.ndarray:
    return _map_distinct(series, str, "")


def _map_distinct(series: pd.Series, convert: Callable[[Any], Any], missing: Any) -> np.ndarray:
    """``convert`` applied once per distinct value (not per row); ``missing`` where missing."""
    codes, uniques = pd.factorize(series)
    converted = np.empty(len(uniques) + 1, dtype=object)
    converted[:-1] = [convert(value) for value in uniques]
    converted[-1] = missing  # code -1 marks a missing value
    return converted[codes]


def _flag(value: Any) -> float:
    return BOOL_MAP.get(str(value).strip().lower(), np.nan)


def _to_dates(series: pd.Series) -> np.ndarray:
    return parse_dates(series).to_numpy()


CONVERTERS: dict[Role, Callable[[pd.Series], np.ndarray]] = {
    Role.NUMERIC: _to_float,
    Role.BOOLEAN: _to_boolean,
    Role.CATEGORICAL: _to_category,
    Role.DATETIME: _to_dates,
    Role.TEXT: _to_text,
}

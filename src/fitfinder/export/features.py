"""The fitted preprocessing ColumnTransformer as ONNX nodes over one input per original column.

Input conventions (``input_type``): numeric and boolean columns are double with NaN for missing;
categorical columns are strings with "" for missing; datetime columns are double seconds since
the Unix epoch (UTC, NaN for missing); text columns are strings, cut and lowercased (see
``fitfinder.export.text``, which converts the text families' word TF-IDF; the tabular families'
TF-IDF of uncut text is refused).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from fitfinder.data.schema import Role, Schema
from fitfinder.errors import ModelError
from fitfinder.export.graph import DOUBLE, ML, STRING, Graph
from fitfinder.features.dates import DatetimeFeatures
from fitfinder.features.preprocess import ValueScaler

UNKNOWN = "\x00fitfinder-unseen\x00"  # a category no model has seen, used to probe encoders
SECONDS_PER_DAY = 86400.0


def input_type(role: Role) -> int:
    """The ONNX element type of a column with ``role``."""
    return STRING if role in (Role.CATEGORICAL, Role.TEXT) else DOUBLE


def add_features(
    g: Graph, schema: Schema, transformer: ColumnTransformer, inputs: dict[str, str]
) -> str:
    """Emit ``transformer`` (fitted) on the per-column ``inputs``; returns the [N, F] double tensor."""
    blocks = []
    for name, fitted, columns in transformer.transformers_:
        if isinstance(fitted, str) and fitted == "drop":
            continue
        columns = [columns] if isinstance(columns, str) else list(columns)
        if columns:
            blocks.append(_block(g, schema, name, fitted, columns, inputs))
    return g.op("Concat", blocks, axis=1) if len(blocks) > 1 else blocks[0]


def _block(g: Graph, schema: Schema, name: str, fitted, columns: list[str], inputs) -> str:
    if isinstance(fitted, ColumnTransformer):  # a text family's encoder of the other columns
        return add_features(g, schema, fitted, inputs)
    roles = {schema.roles[c] for c in columns}
    if roles == {Role.TEXT} and len(columns) == 1:
        from fitfinder.export.text import add_word_tfidf, text_input_block

        if text_input_block(fitted):
            return add_word_tfidf(g, fitted, inputs[columns[0]])
    if Role.TEXT in roles:
        raise ModelError(
            f"cannot export to ONNX: the tabular families' TF-IDF of text column '{columns[0]}' "
            "(uncut text) has no exact ONNX form; drop the column before fit, or let the native "
            "backend serve it (fitfinder serve, or load(...).predict)"
        )
    if roles == {Role.CATEGORICAL}:
        return _categorical(g, name, fitted, columns, inputs)
    x = _concat(g, [inputs[c] for c in columns])
    steps = fitted.steps if isinstance(fitted, Pipeline) else [(name, fitted)]
    for step_name, step in steps:
        convert = _numeric_converter(step)
        if convert is None:
            raise ModelError(
                f"cannot export to ONNX: step '{step_name}' ({type(step).__name__}) of the "
                f"'{name}' preprocessing block has no ONNX converter; serve the native model"
            )
        x = convert(g, x, step)
    return x


def _concat(g: Graph, tensors: list[str]) -> str:
    return g.op("Concat", tensors, axis=1) if len(tensors) > 1 else tensors[0]


# -- categorical: one lookup table per column ------------------------------------------------
def _categorical(g: Graph, name: str, fitted, columns: list[str], inputs) -> str:
    """Each column's string -> row of a table holding the block's exact output for that value.

    The table is built by running the fitted block itself on every known category, one unseen
    value and a missing value, so imputation, infrequent grouping and unknown handling match.
    """
    encoder = fitted.steps[-1][1] if isinstance(fitted, Pipeline) else fitted
    widths = [_encoded_width(encoder, i, name) for i in range(len(columns))]
    offsets = np.cumsum([0, *widths])
    parts = []
    for i, column in enumerate(columns):
        known = [c for c in encoder.categories_[i] if isinstance(c, str)]
        probe = pd.DataFrame({c: np.full(len(known) + 2, np.nan, dtype=object) for c in columns})
        probe[column] = np.asarray([*known, UNKNOWN, np.nan], dtype=object)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "unknown categories" notices from the probe row
            table = np.asarray(fitted.transform(probe), dtype=np.float64)
        table = table[:, offsets[i] : offsets[i + 1]]
        unseen, missing = len(known), len(known) + 1
        codes = g.op(
            "LabelEncoder",
            [inputs[column]],
            domain=ML,
            keys_strings=[*known, ""],
            values_int64s=[*range(len(known)), missing],
            default_int64=unseen,
        )
        flat = g.op("Reshape", [codes, g.const(np.array([-1], dtype=np.int64))])
        parts.append(g.op("Gather", [g.const(table, f"{column}_table"), flat], axis=0))
    return _concat(g, parts)


def _encoded_width(encoder, i: int, block: str) -> int:
    """Output columns the encoder gives input column ``i``."""
    if isinstance(encoder, OrdinalEncoder):
        return 1
    if isinstance(encoder, OneHotEncoder):
        width = len(encoder.categories_[i])
        infrequent = (getattr(encoder, "infrequent_categories_", None) or [None] * (i + 1))[i]
        if infrequent is not None:
            width -= len(infrequent) - 1
        if encoder.drop_idx_ is not None and encoder.drop_idx_[i] is not None:
            width -= 1
        return width
    raise ModelError(
        f"cannot export to ONNX: the categorical encoder {type(encoder).__name__} of the "
        f"'{block}' block has no ONNX converter; serve the native model"
    )


# -- numeric steps -----------------------------------------------------------------------------
def _imputer(g: Graph, x: str, step: SimpleImputer) -> str:
    stats = np.asarray(step.statistics_, dtype=np.float64)
    if not (isinstance(step.missing_values, float) and np.isnan(step.missing_values)):
        raise ModelError("cannot export to ONNX: a SimpleImputer imputes a value other than NaN")
    if np.isnan(stats).any():
        raise ModelError("cannot export to ONNX: a SimpleImputer drops empty columns")
    missing = g.op("IsNaN", [x])
    filled = g.op("Where", [missing, g.const(stats[None, :], "impute"), x])
    if step.indicator_ is None:
        return filled
    where = g.const(np.asarray(step.indicator_.features_, dtype=np.int64), "indicated")
    flags = g.op("Cast", [g.op("Gather", [missing, where], axis=1)], to=DOUBLE)
    return g.op("Concat", [filled, flags], axis=1)


def _scaler(g: Graph, x: str, step: StandardScaler) -> str:
    if step.mean_ is not None:
        x = g.op("Sub", [x, g.const(np.asarray(step.mean_, dtype=np.float64)[None, :], "mean")])
    if step.scale_ is not None:
        x = g.op("Div", [x, g.const(np.asarray(step.scale_, dtype=np.float64)[None, :], "sd")])
    if isinstance(step, ValueScaler):  # kept within the float range, as its transform does
        limit = np.finfo(np.float64).max
        x = g.op("Clip", [x, g.const(np.float64(-limit)), g.const(np.float64(limit))])
    return x


def _dates(g: Graph, x: str, step: DatetimeFeatures) -> str:
    """year, month, day, weekday (Monday 0) and optionally hour of epoch seconds, NaN kept."""
    blocks = []
    for i, with_hour in enumerate(step.with_hour_):
        seconds = g.op("Gather", [x, g.const(np.array([i], dtype=np.int64))], axis=1)
        blocks.extend(_calendar(g, seconds, with_hour))
    return _concat(g, blocks)


def _calendar(g: Graph, seconds: str, with_hour: bool) -> list[str]:
    """Howard Hinnant's days -> civil date algorithm with Floor, exact on doubles."""
    days = g.floor_div(seconds, SECONDS_PER_DAY)
    weekday_base = g.scale(days, 1.0, 3.0)  # 1970-01-01 was a Thursday (3)
    weekday = g.op("Sub", [weekday_base, g.scale(g.floor_div(weekday_base, 7.0), 7.0)])
    z = g.scale(days, 1.0, 719468.0)
    era = g.floor_div(z, 146097.0)
    doe = g.op("Sub", [z, g.scale(era, 146097.0)])
    yoe_num = g.op(
        "Add",
        [
            g.op("Sub", [doe, g.floor_div(doe, 1460.0)]),
            g.op("Sub", [g.floor_div(doe, 36524.0), g.floor_div(doe, 146096.0)]),
        ],
    )
    yoe = g.floor_div(yoe_num, 365.0)
    year_days = g.op("Sub", [g.scale(yoe, 365.0), g.floor_div(yoe, 100.0)])
    doy = g.op("Sub", [doe, g.op("Add", [year_days, g.floor_div(yoe, 4.0)])])
    mp = g.floor_div(g.scale(doy, 5.0, 2.0), 153.0)
    day = g.op("Sub", [g.scale(doy, 1.0, 1.0), g.floor_div(g.scale(mp, 153.0, 2.0), 5.0)])
    late = g.op("Cast", [g.op("GreaterOrEqual", [mp, g.const(np.float64(10.0))])], to=DOUBLE)
    month = g.op("Sub", [g.scale(mp, 1.0, 3.0), g.scale(late, 12.0)])
    early = g.op("Cast", [g.op("LessOrEqual", [month, g.const(np.float64(2.0))])], to=DOUBLE)
    year = g.op("Add", [g.op("Add", [yoe, g.scale(era, 400.0)]), early])
    parts = [year, month, day, weekday]
    if with_hour:
        rest = g.op("Sub", [seconds, g.scale(days, SECONDS_PER_DAY)])
        parts.append(g.floor_div(rest, 3600.0))
    return parts


_NUMERIC_STEPS: dict[type, Callable[[Graph, str, object], str]] = {
    SimpleImputer: _imputer,
    StandardScaler: _scaler,
    ValueScaler: _scaler,
    DatetimeFeatures: _dates,
}


def _numeric_converter(step) -> Callable[[Graph, str, object], str] | None:
    """The converter of one step; "passthrough" (fitted as an identity FunctionTransformer) too."""
    passthrough = isinstance(step, FunctionTransformer) and step.func is None
    if passthrough or (isinstance(step, str) and step == "passthrough"):
        return lambda g, x, _: x
    return _NUMERIC_STEPS.get(type(step))

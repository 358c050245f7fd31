"""Preprocessing per family style: one ColumnTransformer over the frame ``Schema.conform`` returns."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from fitfinder.data.schema import Role, Schema
from fitfinder.errors import ConfigError
from fitfinder.features.dates import DatetimeFeatures

STYLES = ("scaled", "trees", "native", "native_wide", "frame")
MISSING = "__missing__"
ONE_HOT_MAX_CATEGORIES = 30
ONE_HOT_MIN_FREQUENCY = 5  # rows; rarer levels share one "infrequent" column
ORDINAL_MAX_CATEGORIES = 255  # "native" codes: HistGradientBoosting takes at most 255 levels
TEXT_CELLS = 20_000_000  # dense TF-IDF values per text column (160 MB): sets its vocabulary size
TEXT_FEATURES = (300, 5000)  # fewest and most TF-IDF terms per text column


def build_preprocessor(
    schema: Schema, style: str, *, n_rows: int = 0
) -> tuple[ColumnTransformer, tuple[int, ...]]:
    """An unfitted ColumnTransformer for ``style`` and the output positions of categoricals.

    ``scaled``: numbers median-imputed (with missing indicators) and standardised except 0/1
    columns (see :class:`ValueScaler`), categoricals one-hot; ``trees``: numbers
    median-imputed, categoricals ordinal (-1 for missing/unknown);
    ``native``: numbers kept with NaN, categoricals ordinal (NaN for missing/unknown) and placed
    first, so their positions 0..k-1 are returned; a column with more than
    ``ORDINAL_MAX_CATEGORIES`` levels keeps that many, its rarest levels sharing one code
    (HistGradientBoosting's limit); ``native_wide``: the same with every level kept (LightGBM
    and XGBoost take any number of codes; LightGBM groups rare levels itself). Datetimes are expanded to calendar parts and
    handled as numbers; each text column becomes TF-IDF features of words and word pairs, as
    many as :func:`text_feature_count` allows for ``n_rows`` training rows. The output is dense
    float.
    """
    if style not in STYLES:
        raise ConfigError(f"unknown preprocessing style '{style}'; use one of: {', '.join(STYLES)}")
    if style == "frame":
        return FunctionTransformer(), ()  # identity: the estimator reads the frame itself
    categorical = schema.features(Role.CATEGORICAL)
    numeric = schema.features(Role.NUMERIC, Role.BOOLEAN)
    dates = schema.features(Role.DATETIME)
    numeric_steps = _numeric_steps(style)
    most_levels = max((len(schema.categories.get(c, ())) for c in categorical), default=0)
    if style == "native_wide":
        most_levels = 0  # no cap
    blocks = [
        ("categorical", _categorical_steps(style, most_levels), categorical),
        ("numeric", make_pipeline(*numeric_steps) if numeric_steps else "passthrough", numeric),
        ("datetime", make_pipeline(DatetimeFeatures(), *_numeric_steps(style)), dates),
    ]
    blocks = [(name, steps, columns) for name, steps, columns in blocks if columns]
    blocks += [
        (f"text_{column}", _text_vectorizer(text_feature_count(n_rows)), column)
        for column in schema.features(Role.TEXT)
    ]
    transformer = ColumnTransformer(blocks, remainder="drop", sparse_threshold=0.0)
    native = style in ("native", "native_wide")
    positions = tuple(range(len(categorical))) if native else ()
    return transformer, positions


def _numeric_steps(style: str) -> list[BaseEstimator]:
    """Steps after which numbers are ready for ``style``; none for native (NaN is kept)."""
    if style == "scaled":
        return [
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ValueScaler(),
        ]
    if style == "trees":
        return [SimpleImputer(strategy="median", keep_empty_features=True)]
    return []


class ValueScaler(StandardScaler):
    """Standardises columns (within the float range), except those holding only 0 and 1
    (missing-value flags, booleans), which stay as they are, like one-hot columns. Standardised, a flag set on 1 row of 257
    reads 16 there, and a linear model or a distance leans on that one row (on penguins, a
    logistic regression gave the true species of an all-missing row a probability of 2e-6)."""

    def fit(self, X, y=None, sample_weight=None) -> ValueScaler:
        super().fit(X, y, sample_weight)
        values = np.asarray(X, dtype=np.float64)
        flags = ((values == 0) | (values == 1)).all(axis=0)
        if self.mean_ is not None:
            self.mean_[flags] = 0.0
        if self.scale_ is not None:
            self.scale_[flags] = 1.0
        return self

    def transform(self, X, copy=None):
        """Standardised values, kept within the float range: a value near 1e308 standardised
        overflows to infinity, which scikit-learn's linear models and k-NN refuse (a request
        with such a number got a 500 from the server)."""
        with np.errstate(over="ignore"):
            out = super().transform(X, copy=copy)
        if isinstance(out, np.ndarray) and out.dtype.kind == "f":
            limit = np.finfo(out.dtype).max
            np.clip(out, -limit, limit, out=out)
        return out


def _categorical_steps(style: str, most_levels: int) -> Pipeline:
    """Encoders for ``style``; levels are capped (rare ones grouped) only when some column has
    more than the cap, since counting levels costs more than encoding them."""
    if style == "scaled":
        capped = most_levels > ONE_HOT_MAX_CATEGORIES
        return make_pipeline(
            SimpleImputer(strategy="constant", fill_value=MISSING),
            OneHotEncoder(
                handle_unknown="infrequent_if_exist" if capped else "ignore",
                min_frequency=ONE_HOT_MIN_FREQUENCY if capped else None,
                max_categories=ONE_HOT_MAX_CATEGORIES if capped else None,
                sparse_output=False,
            ),
        )
    missing = -1 if style == "trees" else np.nan
    return make_pipeline(
        OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=missing,
            encoded_missing_value=missing,
            max_categories=ORDINAL_MAX_CATEGORIES if most_levels > ORDINAL_MAX_CATEGORIES else None,
        )
    )


def text_feature_count(n_rows: int) -> int:
    """TF-IDF terms kept per text column: as many as fit in ``TEXT_CELLS`` dense values, within
    ``TEXT_FEATURES``. On 5,000 reviews, 5,000 terms of words and word pairs gave a logistic
    regression 0.05 more cross-validated macro F1 than 300 words."""
    fewest, most = TEXT_FEATURES
    return int(np.clip(TEXT_CELLS // max(n_rows, 1), fewest, most))


def _text_vectorizer(max_features: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        max_features=max_features, ngram_range=(1, 2), sublinear_tf=True, dtype=np.float64
    )

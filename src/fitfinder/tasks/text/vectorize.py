"""Text columns -> sparse TF-IDF features of word and character n-grams, beside the other
columns' usual encoding.

Each text column is cut to ``MAX_CHARS`` characters (a documented limit: memory and time stay
bounded on long documents) and gets word 1..n-grams and, optionally, character 2..n-grams
within word boundaries, both with sublinear tf (1 + log tf), as the strong linear text
baselines use. Up to ``HASHING_ABOVE`` terms per analyser the vocabulary is learnt
(``TfidfVectorizer``); above it terms are hashed into that many columns
(``HashingVectorizer`` + ``TfidfTransformer``), so memory no longer grows with the vocabulary.
The other columns are encoded as for the linear tabular families (``scaled``).
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from fitfinder.data.schema import Role, Schema
from fitfinder.search.space import Categorical, Config, Int

MAX_CHARS = 10_000  # characters of a text cell that are read
HASHING_ABOVE = 100_000  # terms per analyser kept in a vocabulary; more are hashed
TOKENS = r"(?u)\b\w+\b"  # words of one letter count too ("a", "5", "i")

#: the vectorizer's part of every text family's search space
SPACE = {
    "word_ngrams": Categorical((1, 2, 3)),
    "char_ngrams": Categorical((0, 4, 5)),  # 0: no character n-grams
    "max_features": Int(5_000, 400_000, log=True),
}
DEFAULTS = {"word_ngrams": 2, "char_ngrams": 5, "max_features": 100_000}
LOW_COST = {"word_ngrams": 1, "char_ngrams": 0, "max_features": 20_000}


def text_features(
    schema: Schema, config: Config, others: str | None = "scaled"
) -> ColumnTransformer:
    """An unfitted transformer of the conformed frame to one sparse matrix: the TF-IDF blocks,
    then the other columns encoded in the preprocessing style ``others`` (None: left out)."""
    blocks = []
    for column in schema.features(Role.TEXT):
        blocks.append((f"{column}_words", _analyser("word", config), column))
        if config["char_ngrams"]:
            blocks.append((f"{column}_chars", _analyser("char_wb", config), column))
    rest = Schema(
        {n: r for n, r in schema.roles.items() if r is not Role.TEXT},
        schema.dtypes,
        schema.categories,
    )
    if others is not None and rest.used_columns:
        from fitfinder.features.preprocess import build_preprocessor  # (imports the registry)

        encoder, _ = build_preprocessor(rest, others)
        blocks.append(("columns", encoder, rest.used_columns))
    return ColumnTransformer(blocks, sparse_threshold=1.0)


def _analyser(kind: str, config: Config):
    """TF-IDF of ``kind`` n-grams ("word" or "char_wb") of one column, cut to ``MAX_CHARS``."""
    ngrams = (1, config["word_ngrams"]) if kind == "word" else (2, config["char_ngrams"])
    size = int(config["max_features"])
    common = {
        "analyzer": kind,
        "ngram_range": ngrams,
        "lowercase": True,
        "dtype": np.float32,
        **({"token_pattern": TOKENS} if kind == "word" else {}),
    }
    if size <= HASHING_ABOVE:
        vectorizer = TfidfVectorizer(max_features=size, sublinear_tf=True, min_df=2, **common)
    else:
        columns = 2 ** math.ceil(math.log2(size))
        vectorizer = make_pipeline(
            HashingVectorizer(n_features=columns, alternate_sign=False, norm=None, **common),
            TfidfTransformer(sublinear_tf=True),
        )
    return make_pipeline(FunctionTransformer(truncate), vectorizer)


def truncate(texts) -> np.ndarray:
    """Each text cut to its first ``MAX_CHARS`` characters (a flat array of strings)."""
    values = np.asarray(texts, dtype=object).ravel()
    return np.array([text[:MAX_CHARS] for text in values], dtype=object)

"""ONNX for the text families' word n-gram TF-IDF, and one-line refusals for the rest.

A text family's fitted model is ``Pipeline([identity, Pipeline([("text", ColumnTransformer),
("model", estimator)])])``: the column transformer holds, per text column, a word TF-IDF block
(``FunctionTransformer(truncate)`` then ``TfidfVectorizer(analyzer="word")``) and optionally a
character block, then the other columns' encoder. The word block becomes:

- skl2onnx's converter of a ``CountVectorizer`` with the fitted vocabulary: the com.microsoft
  ``Tokenizer`` (the token pattern ``\\w+`` as the re2 class ``[\\p{L}\\p{N}_]+``) and the
  ``TfIdfVectorizer`` op counting word n-grams;
- then, written here, sublinear tf (1 + log tf where tf > 0), the IDF weights and the L2 norm.
  skl2onnx's own TfidfTransformer converter computes log(1 + tf) for ``sublinear_tf`` (1.20),
  which is not scikit-learn's formula, so its TF-IDF conversion fails parity on our settings.

The graph's text inputs are strings that ``OnnxModel`` feeds already cut at ``MAX_CHARS``
characters and lowercased (Python's ``str.lower``, as the vectorizer does): onnxruntime's
``StringNormalizer`` needs a system locale (en_US.UTF-8 by default) that servers may lack, and
ONNX has no substring operator. Anyone feeding the graph directly does the same.

Refused, each in one line that names the family and points to the native backend: character
n-grams (``analyzer='char_wb'``, which skl2onnx cannot convert), hashed vocabularies (above
100,000 terms), dense embeddings, NB-SVM and the ``text_nn`` network.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVR

from fitfinder.errors import ModelError
from fitfinder.export.graph import DOUBLE, OPSET, Graph
from fitfinder.tasks.text.vectorize import MAX_CHARS, TOKENS, truncate

RE2_TOKENS = {TOKENS: r"[\p{L}\p{N}_]+"}  # Python's (?u)\b\w+\b in re2's Unicode classes
SERVE = "the native backend serves it (fitfinder serve, or load(...).predict)"


def feed_text(values) -> np.ndarray:
    """Texts as a graph's text inputs take them: cut at ``MAX_CHARS``, lowercased, "" for
    missing."""
    return np.array(
        [("" if v is None or v != v else str(v))[:MAX_CHARS].lower() for v in values],
        dtype=object,
    )


def is_text_pipeline(estimator) -> bool:
    """Whether ``estimator`` is a text family's fitted pipeline (identity, then the family's
    own pipeline or model)."""
    if not isinstance(estimator, Pipeline) or len(estimator.steps) != 2:
        return False
    first = estimator.steps[0][1]
    return (
        isinstance(first, FunctionTransformer)
        and first.func is None
        and _reads_text(estimator.steps[-1][1])
    )


def _reads_text(inner) -> bool:
    if isinstance(inner, Pipeline):
        return isinstance(inner.steps[0][1], ColumnTransformer)
    return type(inner).__name__.startswith("TextNet")


def text_model(estimator: Pipeline) -> Pipeline:
    """The family's own pipeline inside a text pipeline; a one-line refusal when it has no
    ONNX form (its family named)."""
    inner = estimator.steps[-1][1]
    family = family_of(inner)
    if not isinstance(inner, Pipeline):
        _refuse(family, "is a PyTorch network over hashed n-grams, which has no ONNX form here")
    model = inner.steps[-1][1]
    if type(model).__name__ == "NBSVMClassifier":
        _refuse(family, "scales features per class (NB-SVM), which has no ONNX converter")
    for name, block, columns in inner.steps[0][1].transformers_:
        if name == "columns" or (isinstance(block, str) and block == "drop"):
            continue
        column = columns if isinstance(columns, str) else columns[0]
        _refusal(family, block, column)
    return inner


def _refusal(family: str, block, column: str) -> None:
    """Refuse a text block other than word n-gram TF-IDF."""
    steps = [s for _, s in block.steps] if isinstance(block, Pipeline) else [block]
    last = steps[-1]
    if type(last).__name__ == "TextEmbedder" or any(
        type(s).__name__ == "TextEmbedder" for s in steps
    ):
        _refuse(family, f"reads dense embeddings of text column '{column}'")
    if isinstance(last, Pipeline):  # HashingVectorizer + TfidfTransformer
        _refuse(family, f"hashes the n-grams of text column '{column}' (vocabulary above 100,000)")
    if not isinstance(last, TfidfVectorizer):
        _refuse(family, f"reads text column '{column}' with {type(last).__name__}")
    if last.analyzer != "word":
        _refuse(
            family,
            f"reads character n-grams of text column '{column}' (analyzer='{last.analyzer}'), "
            "which skl2onnx cannot convert; a config with char_ngrams=0 exports",
        )
    if last.token_pattern not in RE2_TOKENS or not last.lowercase:
        _refuse(family, f"tokenizes text column '{column}' in a way the export does not know")


def _refuse(family: str, why: str) -> None:
    raise ModelError(f"cannot export to ONNX: the {family} model {why}; {SERVE}")


def family_of(inner) -> str:
    """The text family a fitted inner pipeline (or network) comes from."""
    if not isinstance(inner, Pipeline):
        return "text_nn"
    model = inner.steps[-1][1]
    blocks = [b for _, b, _ in inner.steps[0][1].transformers_]
    embedded = any(
        type(s).__name__ == "TextEmbedder"
        for b in blocks
        for s in ([x for _, x in b.steps] if isinstance(b, Pipeline) else [b])
    )
    kind = type(model).__name__
    if kind.startswith("LGBM"):
        return "text_embed_lightgbm" if embedded else "text_lightgbm"
    if embedded:
        return "text_embed_linear"
    if isinstance(model, ComplementNB):
        return "text_nb"
    if kind == "NBSVMClassifier":
        return "text_nbsvm"
    if isinstance(model, CalibratedClassifierCV | LinearSVR):
        return "text_svm"
    return "text_linear"


def add_word_tfidf(g: Graph, block: Pipeline, text: str) -> str:
    """Sublinear, IDF-weighted, L2-normalised word n-gram counts [N, V] in double of the
    string input ``text`` (fed cut and lowercased)."""
    steps = [s for _, s in block.steps]
    if len(steps) != 2 or steps[0].func is not truncate:
        raise ModelError("cannot export to ONNX: a text block is not cut-then-TF-IDF; " + SERVE)
    vectorizer: TfidfVectorizer = steps[1]
    counts = g.op("Cast", [_counts(g, vectorizer, text)], to=DOUBLE)
    x = counts
    if vectorizer.sublinear_tf:
        positive = g.op("Greater", [counts, g.const(np.float64(0.0))])
        logged = g.op("Add", [g.op("Log", [counts]), g.const(np.float64(1.0))])
        x = g.op("Where", [positive, logged, g.const(np.float64(0.0))])
    if vectorizer.use_idf:
        x = g.op("Mul", [x, g.const(np.asarray(vectorizer.idf_, dtype=np.float64)[None, :], "idf")])
    if vectorizer.norm == "l2":
        axes = g.const(np.array([1], dtype=np.int64))
        norm = g.op("Sqrt", [g.op("ReduceSumSquare", [x, axes], keepdims=1)])
        nonzero = g.op("Greater", [norm, g.const(np.float64(0.0))])
        x = g.op("Div", [x, g.op("Where", [nonzero, norm, g.const(np.float64(1.0))])])
    elif vectorizer.norm is not None:
        raise ModelError(f"cannot export to ONNX: TF-IDF norm '{vectorizer.norm}'; {SERVE}")
    return x


def _counts(g: Graph, vectorizer: TfidfVectorizer, text: str) -> str:
    """skl2onnx's CountVectorizer conversion with ``vectorizer``'s vocabulary, inlined."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import StringTensorType

    counter = CountVectorizer(
        analyzer="word",
        ngram_range=vectorizer.ngram_range,
        token_pattern=vectorizer.token_pattern,
        lowercase=False,  # the feed lowercases (see the module's docstring)
        dtype=np.float32,
    )
    counter.vocabulary_ = dict(vectorizer.vocabulary_)
    counter.fixed_vocabulary_ = True
    options = {id(counter): {"tokenexp": RE2_TOKENS[vectorizer.token_pattern]}}
    try:
        proto = convert_sklearn(
            counter,
            initial_types=[("x", StringTensorType([None, 1]))],
            target_opset={"": OPSET, "ai.onnx.ml": 3},
            options=options,
        )
    except Exception as exc:  # the converter's many error types
        raise ModelError(
            f"cannot export to ONNX: skl2onnx cannot convert the word counts ({exc}); {SERVE}"
        ) from exc
    return g.inline(proto, {"x": text}, prefix=g.unique("words") + "/")[0]


def text_input_block(block: BaseEstimator) -> bool:
    """Whether a fitted column-transformer block is a text family's word TF-IDF block."""
    return isinstance(block, Pipeline) and isinstance(block.steps[-1][1], TfidfVectorizer)

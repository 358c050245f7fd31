"""Export a fitted model — preprocessing, model, weighted or stacked ensemble — as one ONNX graph.

The graph takes one input per original column (see ``features``) and returns ``label`` (the
user's labels) and ``probabilities`` [N, k] for classification, or ``value`` [N] for regression.
Before anything is written, its answers are compared with the native model's on validation
rows; a difference above ``TOLERANCE`` (or any differing label) fails the export.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.pipeline import Pipeline

from fitfinder import modeldir
from fitfinder.ensemble.model import PROBA_FLOOR
from fitfinder.errors import DataError, ModelError
from fitfinder.export.features import add_features, input_type
from fitfinder.export.graph import DOUBLE, INT64, OPSET, STRING, Graph
from fitfinder.export.models import add_model
from fitfinder.export.runtime import OnnxModel
from fitfinder.export.text import is_text_pipeline, text_model

if TYPE_CHECKING:
    import onnx
    import pandas as pd

    from fitfinder.model import FittedModel

log = logging.getLogger("fitfinder")

TOLERANCE = 1e-4  # on probabilities; on values, relative to max(1, |value|)
OUTPUTS = ("label", "probabilities", "value")
IDENTITY_KEYS = ("data_fingerprint", "run_id", "best_trial")


def export_onnx(
    model: FittedModel,
    path: str | os.PathLike,
    X: pd.DataFrame | None = None,
    *,
    verbose: bool = True,
) -> dict[str, Any]:
    """Write ``model`` as one ONNX graph at ``path`` after a parity check; returns its report.

    Parity rows are ``X`` (raw rows with the training columns) or else the validation sample
    saved with the model. The report is stored in ``model.info["onnx"]`` and, when ``path`` is
    in this model's directory, in its model.json; ``verbose`` prints the achieved difference.
    """
    rows = X if X is not None else model.sample
    if rows is None or len(rows) == 0:
        raise DataError(
            "no rows for the ONNX parity check: the model has no saved sample; pass X= "
            "(or --data) with rows that have the training columns"
        )
    graph = build_onnx(model).SerializeToString()
    report = check_parity(model, graph, rows)
    if verbose:
        print(describe_parity(report))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    modeldir.write_file(out.parent, out.name, lambda temporary: temporary.write_bytes(graph))
    report = {"file": out.name, "sha256": hashlib.sha256(graph).hexdigest(), **report}
    model.info["onnx"] = report
    _record(model, out.parent, report)
    return report


def build_onnx(model: FittedModel) -> onnx.ModelProto:
    """The whole model as one graph (no parity check; see ``export_onnx``)."""
    clash = set(model.schema.used_columns) & set(OUTPUTS)
    if clash:
        raise ModelError(
            f"cannot export to ONNX: column '{clash.pop()}' has the name of a graph output; "
            "rename it and refit"
        )
    g = Graph()
    roles = model.schema.roles
    inputs = {c: g.input(c, input_type(roles[c])) for c in model.schema.used_columns}
    classify = model.labels is not None  # else values: regression scores, ranking scores
    total = _output(g, model, model.pipeline, inputs, classify)
    if not classify:
        g.output("value", g.op("Reshape", [total, g.const(np.array([-1]))]), DOUBLE, [None])
        return g.model()
    labels, label_type = _label_tensor(model.labels)
    chosen = _decision(g, total, model.threshold)
    g.output("label", g.op("Gather", [g.const(labels, "labels"), chosen]), label_type, [None])
    g.output("probabilities", total, DOUBLE, [None, len(model.labels)])
    return g.model()


def _output(g: Graph, model: FittedModel, estimator, inputs, classify: bool) -> str:
    """Probabilities over every label [N, k] or values [N, 1] of a pipeline or an ensemble of
    them (ensembles nest, as in fold-averaged refits)."""
    from fitfinder.ensemble import StackedEnsemble, WeightedEnsemble

    if isinstance(estimator, Pipeline):
        if is_text_pipeline(estimator):  # a text family: its own pipeline after an identity
            estimator = text_model(estimator)
        features = add_features(g, model.schema, estimator.steps[0][1], inputs)
        return _final(g, model, estimator.steps[-1][1], features, classify)
    if isinstance(estimator, WeightedEnsemble):
        return _weighted(g, model, estimator, inputs, classify)
    if isinstance(estimator, StackedEnsemble):
        return _stacked(g, model, estimator, inputs, classify)
    raise ModelError(
        f"cannot export to ONNX: {type(estimator).__name__} has no ONNX form (a pipeline or a "
        "weighted or stacked ensemble of pipelines has); serve the native model"
    )


def _weighted(g: Graph, model: FittedModel, ensemble, inputs, classify: bool) -> str:
    """The weighted sum of the members' outputs."""
    parts = [
        g.op("Mul", [_output(g, model, member, inputs, classify), g.const(np.float64(w))])
        for member, w in zip(ensemble.members, ensemble.weights, strict=True)
    ]
    return reduce(lambda a, b: g.op("Add", [a, b]), parts)


def _stacked(g: Graph, model: FittedModel, ensemble, inputs, classify: bool) -> str:
    """The meta-learner on the members' outputs."""
    columns = [
        _stack_feature(g, _output(g, model, member, inputs, classify), ensemble.n_classes)
        for member in ensemble.members
    ]
    features = g.op("Concat", columns, axis=1) if len(columns) > 1 else columns[0]
    return _final(g, model, ensemble.meta, features, classify)


def _final(g: Graph, model: FittedModel, estimator, features: str, classify: bool) -> str:
    """A fitted estimator on ``features``, its probabilities widened to every label."""
    out = add_model(g, estimator, features, estimator.n_features_in_, classify)
    return _all_labels(g, out, estimator.classes_, len(model.labels)) if classify else out


def _stack_feature(g: Graph, out: str, n_classes: int) -> str:
    """A member's meta-learner inputs, as ``stack_features`` makes them: its values, or the
    logarithm of its floored probabilities (of the positive class only, for two classes)."""
    if not n_classes:
        return out
    floored = g.op("Clip", [out, g.const(np.float64(PROBA_FLOOR)), g.const(np.float64(1.0))])
    log_proba = g.op("Log", [floored])
    if n_classes != 2:
        return log_proba
    return g.op("Gather", [log_proba, g.const(np.array([1], dtype=np.int64))], axis=1)


def _decision(g: Graph, proba: str, threshold: float | list | None) -> str:
    """Class indices [N]: the most probable class, 1 where the positive class's probability
    reaches the model's tuned ``threshold``, or the class of highest probability times its
    tuned weight (``fitfinder.threshold.decide``)."""
    if threshold is None:
        return g.op("ArgMax", [proba], axis=1, keepdims=0)
    if np.ndim(threshold):
        weights = g.const(np.asarray(threshold, dtype=np.float64), "class_weights")
        return g.op("ArgMax", [g.op("Mul", [proba, weights])], axis=1, keepdims=0)
    positive = g.op("Gather", [proba, g.const(np.array(1, dtype=np.int64), "positive")], axis=1)
    reached = g.op("GreaterOrEqual", [positive, g.const(np.array(threshold), "threshold")])
    return g.op("Cast", [reached], to=INT64)


def _all_labels(g: Graph, proba: str, seen, n_labels: int) -> str:
    """Probabilities widened to every label when the estimator saw only some classes."""
    seen = np.asarray(seen, dtype=np.int64)
    if len(seen) == n_labels:
        return proba
    spread = np.zeros((len(seen), n_labels))
    spread[np.arange(len(seen)), seen] = 1.0
    return g.op("MatMul", [proba, g.const(spread, "spread")])


def _label_tensor(labels: list) -> tuple[np.ndarray, int]:
    """The user's labels as an ONNX constant: int64, double or string."""
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in labels):
        return np.asarray(labels, dtype=np.int64), INT64
    if all(isinstance(v, float | np.floating) for v in labels):
        return np.asarray(labels, dtype=np.float64), DOUBLE
    return np.asarray([str(v) for v in labels], dtype=object), STRING


# -- parity --------------------------------------------------------------------------------
def check_parity(model: FittedModel, graph: bytes, X: pd.DataFrame) -> dict[str, Any]:
    """Compare the graph's answers with the native model's on ``X``; raise when they differ."""
    runtime = OnnxModel(graph, model.schema, model.task, model.labels)
    frame = runtime._conform(X)
    labels, proba = runtime.run(frame)
    if model.labels is None:
        native, mine, labels_match = model.predict(frame), labels, True
    else:
        native, mine = model.predict_proba(frame), proba
        expected = model.labels_of(native)
        labels_match = bool(np.array_equal(expected.astype(str), labels.astype(str)))
    diff = np.abs(np.asarray(mine, dtype=np.float64) - native)
    worst = float(diff.max()) if diff.size else 0.0
    within = bool((diff <= TOLERANCE * np.maximum(1.0, np.abs(native))).all())
    if not (within and labels_match):
        raise ModelError(
            f"ONNX export failed the parity check on {len(frame)} rows: max difference "
            f"{worst:.3g} (tolerance {TOLERANCE}), labels {'match' if labels_match else 'differ'}; "
            "serve the native model"
        )
    return {
        "opset": OPSET,
        "parity_rows": len(frame),
        "max_abs_diff": worst,
        "labels_match": labels_match,
        "tolerance": TOLERANCE,
    }


def describe_parity(report: dict) -> str:
    """One line: rows compared, the largest difference, whether labels matched."""
    return (
        f"ONNX parity on {report['parity_rows']} rows: max |difference| "
        f"{report['max_abs_diff']:.3g} (tolerance {report['tolerance']}), labels "
        + ("identical" if report["labels_match"] else "differ")
    )


def _record(model: FittedModel, folder: Path, report: dict) -> None:
    """Store the report in ``folder/model.json`` when that file describes this model (the
    graph's hash in it is what ``load_onnx`` checks the file against)."""
    target = folder / modeldir.MODEL_FILE
    if not target.is_file():
        return
    description = json.loads(target.read_text())
    if any(description.get(k) != model.info.get(k) for k in IDENTITY_KEYS):
        log.warning("%s describes another model; the parity report was not stored there", target)
        return
    description["onnx"] = report
    modeldir.rewrite_description(folder, description)

"""The ``nn`` family's fitted network as ONNX nodes, exported by ``torch.onnx.export``.

The torch module takes the ``native`` feature matrix in float32 (as ``NeuralEstimator`` does)
and holds the numeric imputation and scaling and the categorical embeddings itself, so they are
all in the graph. Its raw outputs become probabilities or values in double, as in ``predict``.
"""

from __future__ import annotations

import io
import warnings

import onnx
import torch

from fitfinder.errors import ModelError
from fitfinder.estimators.neural.estimator import NeuralEstimator
from fitfinder.export.graph import DOUBLE, FLOAT, Graph
from fitfinder.export.models import failure_reason

# The TorchScript exporter writes opset 20 at most; the nodes it emits mean the same in 21.
# (The dynamo exporter needs onnxscript, which fitfinder does not depend on.)
TORCH_OPSET = 20


def add_network(g: Graph, estimator: NeuralEstimator, x: str, classify: bool) -> str:
    """Probabilities [N, k] (the estimator's classes) or values [N, 1] of the network on ``x``."""
    proto = _torch_graph(estimator.net_, estimator.n_features_in_)
    feeds = {"x": g.op("Cast", [x], to=FLOAT)}
    raw = g.op("Cast", g.inline(proto, feeds, prefix=g.unique("nn") + "/"), to=DOUBLE)
    if not classify:
        return g.scale(raw, estimator.y_scale_, estimator.y_mean_)
    if len(estimator.classes_) == 2:
        return g.two_classes(raw)
    return g.op("Softmax", [raw], axis=1)


def _torch_graph(net: torch.nn.Module, n_features: int) -> onnx.ModelProto:
    """``net`` (in evaluation mode) as an ONNX model from ``x`` [N, n_features] to ``out``."""
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter's
            torch.onnx.export(
                net.eval(),
                (torch.zeros(2, n_features),),
                buffer,
                dynamo=False,
                opset_version=TORCH_OPSET,
                input_names=["x"],
                output_names=["out"],
                dynamic_axes={"x": {0: "rows"}, "out": {0: "rows"}},
                # else its initializer deduplication merges empty buffers of different types
                # (a network without numeric or without categorical columns)
                keep_initializers_as_inputs=True,
            )
    except Exception as exc:  # the exporter reports an unsupported operation in many ways
        raise ModelError(
            f"cannot export to ONNX: torch.onnx cannot export the nn network "
            f"({failure_reason(exc)}); serve the native model"
        ) from exc
    return onnx.load_from_string(buffer.getvalue())

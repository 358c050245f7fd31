"""The final estimator of a pipeline as ONNX nodes on the [N, F] double features.

Tree ensembles go through ``trees`` (one TreeEnsemble node), ``nn`` networks through
``neural`` (torch.onnx), fitfinder's k-NN through ``neighbours``; the others (linear models, SVMs,
scikit-learn's k-NN in models saved before it) through skl2onnx, with converters
added here for the two pieces it lacks: ``Nystroem`` (RBF) and ``TransformedTargetRegressor``
over a ``StandardScaler``.
"""

from __future__ import annotations

import sys
from functools import cache

import numpy as np
import onnx
from lightgbm import LGBMModel
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.kernel_approximation import Nystroem
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from xgboost import XGBModel

from fitfinder.errors import ModelError
from fitfinder.estimators.knn import NeighboursClassifier, NeighboursRegressor
from fitfinder.export.graph import DOUBLE, ML, OPSET, Graph
from fitfinder.export.neighbours import add_neighbours
from fitfinder.export.trees import add_trees, read_forest, read_hist_gb, read_lightgbm, read_xgboost

TREE_READERS = (
    (
        (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor),
        read_forest,
    ),
    ((HistGradientBoostingClassifier, HistGradientBoostingRegressor), read_hist_gb),
    ((LGBMModel,), read_lightgbm),
    ((XGBModel,), read_xgboost),
)


def add_model(g: Graph, estimator, x: str, n_features: int, classify: bool) -> str:
    """Probabilities [N, k] (the estimator's classes) or values [N, 1], in double."""
    for kinds, read in TREE_READERS:
        if isinstance(estimator, kinds):
            return add_trees(g, read(estimator, classify), x)
    if _is_network(estimator):
        from fitfinder.export.neural import add_network

        return add_network(g, estimator, x, classify)
    if isinstance(estimator, NeighboursClassifier | NeighboursRegressor):
        return add_neighbours(g, estimator, x)
    return _skl2onnx(g, estimator, x, n_features, classify)


def _is_network(estimator) -> bool:
    """Whether ``estimator`` is an ``nn`` model (whose module, and torch, are then imported)."""
    module = sys.modules.get("fitfinder.estimators.neural.estimator")
    return module is not None and isinstance(estimator, module.NeuralEstimator)


def _skl2onnx(g: Graph, estimator, x: str, n_features: int, classify: bool) -> str:
    proto = _convert(estimator, n_features, classify)
    outputs = g.inline(proto, {"x": x}, prefix=g.unique("model") + "/")
    return g.op("Cast", [outputs[1] if classify else outputs[0]], to=DOUBLE)


def _convert(estimator, n_features: int, classify: bool) -> onnx.ModelProto:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType

    _register_converters()
    try:
        return convert_sklearn(
            estimator,
            initial_types=[("x", DoubleTensorType([None, n_features]))],
            target_opset={"": OPSET, ML: 3},
            options={id(estimator): {"zipmap": False}} if classify else None,
        )
    except ModelError:
        raise
    except Exception as exc:  # skl2onnx signals "no converter" with several exception types
        raise ModelError(
            f"cannot export to ONNX: skl2onnx cannot convert {type(estimator).__name__} "
            f"({failure_reason(exc)}); serve the native model"
        ) from exc


def failure_reason(exc: Exception) -> str:
    """The first line of a converter's error message (its type when the message is empty)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@cache
def _register_converters() -> None:
    from skl2onnx import update_registered_converter
    from skl2onnx.shape_calculators.linear_regressor import (
        calculate_linear_regressor_output_shapes,
    )

    update_registered_converter(Nystroem, "FitfinderNystroem", _nystroem_shape, _convert_nystroem)
    update_registered_converter(
        TransformedTargetRegressor,
        "FitfinderTransformedTargetRegressor",
        calculate_linear_regressor_output_shapes,
        _convert_target_regressor,
    )


def _nystroem_shape(operator) -> None:
    width = operator.raw_operator.components_.shape[0]
    operator.outputs[0].type = operator.inputs[0].type.__class__([None, width])


def _convert_nystroem(scope, operator, container) -> None:
    """RBF Nystroem: exp(-gamma * squared distances to the components) @ normalization.T."""
    from skl2onnx.algebra.onnx_ops import OnnxIdentity, OnnxMatMul
    from skl2onnx.common.data_types import guess_numpy_type

    op, X, opv = operator.raw_operator, operator.inputs[0], container.target_opset
    if op.kernel != "rbf":
        raise ModelError(f"cannot export to ONNX: Nystroem kernel '{op.kernel}' is not supported")
    dtype = guess_numpy_type(X.type)
    gamma = op.gamma if op.gamma is not None else 1.0 / op.components_.shape[1]
    kernel = _rbf(X, op.components_, gamma, dtype, opv)
    result = OnnxMatMul(kernel, op.normalization_.T.astype(dtype), op_version=opv)
    OnnxIdentity(result, op_version=opv, output_names=operator.outputs[:1]).add_to(scope, container)


def _rbf(X, centers: np.ndarray, gamma: float, dtype, opv):
    """exp(-gamma * squared distances from the rows of X to ``centers``), in ``dtype``."""
    from skl2onnx.algebra.complex_functions import onnx_cdist
    from skl2onnx.algebra.onnx_ops import OnnxExp, OnnxMul

    distances = onnx_cdist(X, centers.astype(dtype), dtype=dtype, op_version=opv)
    return OnnxExp(
        OnnxMul(distances, np.array([-gamma], dtype=dtype), op_version=opv), op_version=opv
    )


def _rbf_svr(op: SVR, X, dtype, opv):
    """An RBF SVR in the input's precision (onnxruntime's SVMRegressor is float only)."""
    from skl2onnx.algebra.onnx_ops import OnnxAdd, OnnxMatMul

    if op.kernel != "rbf":
        raise ModelError(f"cannot export to ONNX: SVR kernel '{op.kernel}' is not supported")
    kernel = _rbf(X, op.support_vectors_, op._gamma, dtype, opv)
    values = OnnxMatMul(kernel, op.dual_coef_.T.astype(dtype), op_version=opv)
    return OnnxAdd(values, op.intercept_.astype(dtype), op_version=opv)


def _convert_target_regressor(scope, operator, container) -> None:
    """The inner regressor's output mapped back through the fitted StandardScaler."""
    from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
    from skl2onnx.algebra.onnx_ops import OnnxAdd, OnnxIdentity, OnnxMul
    from skl2onnx.common.data_types import guess_numpy_type

    op, X, opv = operator.raw_operator, operator.inputs[0], container.target_opset
    scaler = op.transformer_
    if not isinstance(scaler, StandardScaler):
        raise ModelError(
            f"cannot export to ONNX: a target transformer {type(scaler).__name__} is not supported"
        )
    dtype = guess_numpy_type(X.type)
    inner = op.regressor_
    if isinstance(inner, SVR):
        y = _rbf_svr(inner, X, dtype, opv)
    else:
        y = OnnxSubEstimator(inner, X, op_version=opv)
    if scaler.scale_ is not None:
        y = OnnxMul(y, np.asarray(scaler.scale_, dtype=dtype), op_version=opv)
    if scaler.mean_ is not None:
        y = OnnxAdd(y, np.asarray(scaler.mean_, dtype=dtype), op_version=opv)
    OnnxIdentity(y, op_version=opv, output_names=operator.outputs[:1]).add_to(scope, container)

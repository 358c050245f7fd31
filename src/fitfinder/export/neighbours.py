"""fitfinder's k-NN (``fitfinder.estimators.knn``) as ONNX nodes: the same vote, row by row.

A Scan over the input rows computes, for one row, its distances to the distinct training rows
(from the differences, as the native model does, so an exact match is at distance 0), the k-th
distance counting each distinct row as often as it occurs (TopK's order among tied rows does not
change it), and the shared vote of the rows within ``TIE_TOLERANCE`` of it. Memory is one row's
differences [distinct rows, features] at a time.
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from fitfinder.estimators.knn import PROBA_STEP, TIE_TOLERANCE, NeighboursClassifier
from fitfinder.export.graph import DOUBLE, Graph


def add_neighbours(g: Graph, model, x: str) -> str:
    """Probabilities [N, k] in ``model.classes_`` order, or values [N, 1]."""
    points, counts, sums = model.points_, model.counts_, model.sums_
    width = sums.shape[1]
    U, n, S = g.const(points, "points"), g.const(counts, "counts"), g.const(sums, "sums")
    k = g.const(np.float64(model.k_), "k")
    start, row = len(g.nodes), g.unique("row")
    one_axis = g.const(np.array([1], dtype=np.int64))
    diff = g.op("Sub", [row, U])
    distance = g.op("ReduceL1" if model.p == 1 else "ReduceL2", [diff, one_axis], keepdims=0)
    top = g.const(np.array([min(model.k_, len(points))], dtype=np.int64))
    ordered, index = _top_k(g, distance, top)
    reached = g.op("CumSum", [g.op("Gather", [n, index]), g.const(np.array(0, dtype=np.int64))])
    enough = g.op("Cast", [g.op("GreaterOrEqual", [reached, k])], to=DOUBLE)
    kth = g.op("Gather", [ordered, g.op("ArgMax", [enough], axis=0, keepdims=1)])
    # kth +- kth * tolerance: onnxruntime's optimiser drops a Mul by a constant that is 1 in
    # float32, such as 1 + 1e-9, which would make the tied rows only the exact ties
    finite_gap = g.op("Mul", [kth, g.const(np.float64(TIE_TOLERANCE))])
    gap = g.op("Where", [g.op("IsInf", [kth]), g.const(np.float64(0.0)), finite_gap])
    low, high = g.op("Sub", [kth, gap]), g.op("Add", [kth, gap])
    inside = g.op("Cast", [g.op("Less", [distance, low])], to=DOUBLE)
    tied_mask = g.op(
        "And",
        [g.op("GreaterOrEqual", [distance, low]), g.op("LessOrEqual", [distance, high])],
    )
    tied = g.op("Cast", [tied_mask], to=DOUBLE)
    left = g.op("Sub", [k, g.op("ReduceSum", [g.op("Mul", [inside, n])], keepdims=1)])
    share = g.op("Div", [left, g.op("ReduceSum", [g.op("Mul", [tied, n])], keepdims=1)])
    weight = g.op("Add", [inside, g.op("Mul", [tied, share])])
    if model.weights == "distance":
        weight = _by_distance(g, weight, distance, n)
    vote = g.op("Div", [g.op("MatMul", [weight, S]), g.op("MatMul", [weight, n])])
    if isinstance(model, NeighboursClassifier):
        step = g.const(np.float64(PROBA_STEP))
        vote = g.op("Mul", [g.op("Round", [g.op("Div", [vote, step])]), step])
    body_nodes = g.nodes[start:]
    del g.nodes[start:]
    body = helper.make_graph(
        body_nodes,
        g.unique("knn_row"),
        [helper.make_tensor_value_info(row, DOUBLE, [points.shape[1]])],
        [helper.make_tensor_value_info(vote, DOUBLE, [width])],
    )
    return g.op("Scan", [x], body=body, num_scan_inputs=1)


def _top_k(g: Graph, distance: str, top: str) -> tuple[str, str]:
    """The ``top`` smallest distances, ascending, and their rows (TopK has two outputs)."""
    ordered, index = g.unique("topk_values"), g.unique("topk_index")
    g.nodes.append(
        helper.make_node(
            "TopK", [distance, top], [ordered, index], name=g.unique("TopK"), largest=0, sorted=1
        )
    )
    return ordered, index


def _by_distance(g: Graph, weight: str, distance: str, counts: str) -> str:
    """Weights divided by the distance, or only the exact matches when there are any (and
    kept as they are when every distance chosen is infinite)."""
    zero = g.const(np.float64(0.0))
    exact = g.op("Mul", [weight, g.op("Cast", [g.op("Equal", [distance, zero])], to=DOUBLE)])
    matched = g.op("Greater", [g.op("ReduceSum", [exact], keepdims=1), zero])
    safe = g.op("Where", [g.op("Greater", [distance, zero]), distance, g.const(np.float64(1.0))])
    divided = g.op("Div", [weight, safe])
    counted = g.op("ReduceSum", [g.op("Mul", [divided, counts])], keepdims=1)
    divided = g.op("Where", [g.op("Greater", [counted, zero]), divided, weight])
    return g.op("Where", [matched, exact, divided])

"""Tree ensembles (sklearn forests, HistGradientBoosting, LightGBM, XGBoost) as one ONNX node.

Every library's trees are read into ``Tree`` arrays and written as an ``ai.onnx.ml``
``TreeEnsemble`` (opset 5), whose set-membership splits express categorical splits exactly.
Inputs are compared the way each library compares them: sklearn forests on float32-rounded
values against double thresholds, HistGradientBoosting and LightGBM in double, XGBoost in float32.
The raw sums are turned into probabilities (sigmoid / softmax / average) in double.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from onnx import numpy_helper

from fitfinder.errors import ModelError
from fitfinder.export.graph import DOUBLE, FLOAT, ML, Graph

LEQ, LT, MEMBER = 0, 1, 6  # TreeEnsemble node modes


@dataclass
class Tree:
    """One tree as arrays over its nodes; node 0 is the root, ``left[i] == -1`` marks a leaf.

    ``members[i]`` holds the categories sent left by a categorical split (None for numeric);
    ``value`` is [n_nodes, len(targets)]: each leaf's contribution to each target.
    """

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    value: np.ndarray
    targets: list[int]
    members: list | None = None


@dataclass
class Ensemble:
    """Trees plus how their summed outputs become predictions."""

    trees: list[Tree]
    n_targets: int
    mode: int  # LEQ or LT for numeric splits
    cast: str  # "double", "float32-thresholds-double" or "float"
    base: np.ndarray  # added to the sums
    link: str  # "identity", "sigmoid" (one margin column for class 1 of two), "softmax"


def add_trees(g: Graph, ensemble: Ensemble, x: str) -> str:
    """Emit ``ensemble`` on the double features ``x``; returns proba [N, k] or values [N, 1]."""
    dtype = np.float32 if ensemble.cast == "float" else np.float64
    if ensemble.cast == "float":
        x = g.op("Cast", [x], to=FLOAT)
    elif ensemble.cast == "float32-thresholds-double":
        x = g.op("Cast", [g.op("Cast", [x], to=FLOAT)], to=DOUBLE)
    sums = g.op("TreeEnsemble", [x], domain=ML, **_attributes(ensemble, dtype))
    raw = g.op("Add", [g.op("Cast", [sums], to=DOUBLE), g.const(ensemble.base[None, :], "base")])
    if ensemble.link == "identity":
        return raw
    if ensemble.link == "softmax":
        return g.op("Softmax", [raw], axis=1)
    return g.two_classes(raw)


def _attributes(ensemble: Ensemble, dtype) -> dict:
    """TreeEnsemble attributes; a tree whose root is a leaf gets a split with two equal ends."""
    roots, nodes, leaves, membership = [], _Columns(), _Columns(), []
    for tree in ensemble.trees:
        for column, target in enumerate(tree.targets):
            roots.append(len(nodes.feature))
            _add_tree(tree, column, target, ensemble.mode, nodes, leaves, membership)
    return {
        "n_targets": ensemble.n_targets,
        "aggregate_function": 1,  # SUM
        "post_transform": 0,
        "tree_roots": roots,
        "nodes_modes": numpy_helper.from_array(np.asarray(nodes.mode, dtype=np.uint8)),
        "nodes_featureids": nodes.feature,
        "nodes_splits": numpy_helper.from_array(np.asarray(nodes.split, dtype=dtype)),
        "nodes_truenodeids": nodes.true_id,
        "nodes_trueleafs": nodes.true_leaf,
        "nodes_falsenodeids": nodes.false_id,
        "nodes_falseleafs": nodes.false_leaf,
        "nodes_missing_value_tracks_true": nodes.missing,
        "leaf_targetids": leaves.target,
        "leaf_weights": numpy_helper.from_array(np.asarray(leaves.weight, dtype=dtype)),
        **(
            {"membership_values": numpy_helper.from_array(np.asarray(membership, dtype=dtype))}
            if membership
            else {}
        ),
    }


class _Columns:
    def __init__(self):
        self.mode, self.feature, self.split, self.missing = [], [], [], []
        self.true_id, self.true_leaf, self.false_id, self.false_leaf = [], [], [], []
        self.target, self.weight = [], []


def _add_tree(tree: Tree, column: int, target: int, mode: int, nodes, leaves, membership) -> None:
    is_leaf = tree.left < 0
    ids = np.empty(len(is_leaf), dtype=np.int64)
    base_node, base_leaf = len(nodes.feature), len(leaves.target)
    ids[~is_leaf] = base_node + np.arange((~is_leaf).sum())
    ids[is_leaf] = base_leaf + np.arange(is_leaf.sum())
    leaf_weights = tree.value[is_leaf, column]
    leaves.target.extend([target] * len(leaf_weights))
    leaves.weight.extend(leaf_weights.tolist())
    if is_leaf[0]:  # a lone leaf: a dummy split whose both ends are that leaf
        nodes.mode.append(LEQ)
        nodes.feature.append(0)
        nodes.split.append(0.0)
        nodes.missing.append(0)
        for end in (nodes.true_id, nodes.false_id):
            end.append(int(ids[0]))
        nodes.true_leaf.append(1)
        nodes.false_leaf.append(1)
        return
    for i in np.flatnonzero(~is_leaf):
        left, right = tree.left[i], tree.right[i]
        members = tree.members[i] if tree.members is not None else None
        nodes.mode.append(mode if members is None else MEMBER)
        nodes.split.append(float(tree.threshold[i]) if members is None else np.nan)
        if members is not None:
            membership.extend([*members, np.nan])
        nodes.feature.append(int(tree.feature[i]))
        nodes.missing.append(int(tree.missing_left[i]))
        nodes.true_id.append(int(ids[left]))
        nodes.true_leaf.append(int(is_leaf[left]))
        nodes.false_id.append(int(ids[right]))
        nodes.false_leaf.append(int(is_leaf[right]))


# -- readers -----------------------------------------------------------------------------------
def read_forest(model, classify: bool) -> Ensemble:
    """RandomForest / ExtraTrees: mean of the trees' class fractions (or values)."""
    n_trees = len(model.estimators_)
    trees = []
    for estimator in model.estimators_:
        t = estimator.tree_
        value = np.asarray(t.value[:, 0, :], dtype=np.float64)
        if classify:
            value = value / np.maximum(value.sum(axis=1, keepdims=True), 1e-300)
        missing = getattr(t, "missing_go_to_left", np.zeros(t.node_count, dtype=bool))
        trees.append(
            Tree(
                left=np.asarray(t.children_left),
                right=np.asarray(t.children_right),
                feature=np.asarray(t.feature),
                threshold=np.asarray(t.threshold),
                missing_left=np.asarray(missing, dtype=bool),
                value=value / n_trees,
                targets=list(range(value.shape[1])),
            )
        )
    n_targets = trees[0].value.shape[1]
    return Ensemble(
        trees, n_targets, LEQ, "float32-thresholds-double", np.zeros(n_targets), "identity"
    )


def read_hist_gb(model, classify: bool) -> Ensemble:
    """HistGradientBoosting: baseline + sum of leaves, categorical splits as member sets."""
    if getattr(model, "loss", None) not in ("log_loss", "squared_error"):
        raise ModelError(
            f"cannot export to ONNX: HistGradientBoosting loss '{model.loss}' is not supported"
        )
    known, feature_map = model._bin_mapper.make_known_categories_bitsets()
    trees = []
    for iteration in model._predictors:
        for k, predictor in enumerate(iteration):
            trees.append(_hist_tree(predictor, k, known, feature_map))
    k = model.n_trees_per_iteration_
    base = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()
    link = "identity" if not classify else ("sigmoid" if k == 1 else "softmax")
    return Ensemble(trees, k, LEQ, "double", base, link)


def _hist_tree(predictor, target: int, known, feature_map) -> Tree:
    nodes = predictor.nodes
    leaf = nodes["is_leaf"].astype(bool)
    members: list = [None] * len(nodes)
    missing_left = nodes["missing_go_to_left"].astype(bool)
    for i in np.flatnonzero(nodes["is_categorical"].astype(bool) & ~leaf):
        left_set = _bits(predictor.raw_left_cat_bitsets[nodes["bitset_idx"][i]])
        if missing_left[i]:  # unseen categories follow missing values
            seen = _bits(known[feature_map[nodes["feature_idx"][i]]])
            left_set = sorted(set(left_set) | (set(range(256)) - set(seen)))
        members[i] = left_set
    return Tree(
        left=np.where(leaf, -1, nodes["left"].astype(np.int64)),
        right=np.where(leaf, -1, nodes["right"].astype(np.int64)),
        feature=nodes["feature_idx"].astype(np.int64),
        threshold=nodes["num_threshold"].astype(np.float64),
        missing_left=missing_left,
        value=nodes["value"].astype(np.float64)[:, None],
        targets=[target],
        members=members,
    )


def _bits(words: np.ndarray) -> list[int]:
    """The set bits of a 256-bit set stored as 8 uint32 words."""
    return [c for c in range(256) if (int(words[c // 32]) >> (c % 32)) & 1]


def read_lightgbm(model, classify: bool) -> Ensemble:
    """LightGBM: sum of leaves per class (trees interleaved by class), then the objective's link."""
    dump = model.booster_.dump_model()
    objective = dump["objective"].split()
    k = dump["num_tree_per_iteration"]
    links = {
        "binary": "sigmoid",
        "multiclass": "softmax",
        "regression": "identity",
        "lambdarank": "identity",  # ranking scores are the raw sums
        "rank_xendcg": "identity",
    }
    if objective[0] not in links or dump.get("average_output"):
        raise ModelError(
            f"cannot export to ONNX: LightGBM objective '{dump['objective']}' is not supported"
        )
    scale = 1.0
    if objective[0] == "binary":
        scale = float(next(p.split(":")[1] for p in objective if p.startswith("sigmoid:")))
    trees = [
        _lightgbm_tree(info["tree_structure"], i % k) for i, info in enumerate(dump["tree_info"])
    ]
    for tree in trees:
        tree.value *= scale  # sigmoid(scale * sum) == sigmoid(sum of scaled leaves)
    return Ensemble(trees, k, LEQ, "double", np.zeros(k), links[objective[0]])


def _lightgbm_tree(root: dict, target: int) -> Tree:
    order, stack = [], [root]
    while stack:  # pre-order, iteratively: leaf-wise trees can be deeper than the recursion limit
        node = stack.pop()
        order.append(node)
        if "leaf_value" not in node:
            stack.extend((node["right_child"], node["left_child"]))
    index = {id(node): i for i, node in enumerate(order)}
    n = len(order)
    tree = Tree(
        left=np.full(n, -1),
        right=np.full(n, -1),
        feature=np.zeros(n, dtype=np.int64),
        threshold=np.zeros(n),
        missing_left=np.zeros(n, dtype=bool),
        value=np.zeros((n, 1)),
        targets=[target],
        members=[None] * n,
    )
    for i, node in enumerate(order):
        if "leaf_value" in node:
            tree.value[i, 0] = node["leaf_value"]
            continue
        tree.left[i], tree.right[i] = index[id(node["left_child"])], index[id(node["right_child"])]
        tree.feature[i] = node["split_feature"]
        if node["decision_type"] == "==":  # categorical: NaN and negatives go right
            tree.members[i] = [int(c) for c in str(node["threshold"]).split("||")]
            continue
        tree.threshold[i] = node["threshold"]
        tree.missing_left[i] = _lightgbm_missing_left(node)
    return tree


def _lightgbm_missing_left(node: dict) -> bool:
    if node["missing_type"] == "NaN":
        return bool(node["default_left"])
    if node["missing_type"] == "None":  # NaN is read as 0
        return node["threshold"] >= 0.0
    raise ModelError(
        "cannot export to ONNX: a LightGBM model trained with zero_as_missing has no exact "
        "ONNX form; refit without it"
    )


def read_xgboost(model, classify: bool) -> Ensemble:
    """XGBoost (gbtree): base margin + sum of leaves per class, in float32 like XGBoost."""
    learner = json.loads(model.get_booster().save_raw("json"))["learner"]
    objective = learner["objective"]["name"]
    booster = learner["gradient_booster"]
    if booster["name"] != "gbtree" or objective not in _XGB_LINKS:
        raise ModelError(
            f"cannot export to ONNX: XGBoost {booster['name']} with objective '{objective}' "
            "is not supported"
        )
    base = np.asarray(json.loads(learner["learner_model_param"]["base_score"]), dtype=np.float64)
    if objective == "binary:logistic":
        base = np.log(base / (1.0 - base))  # stored as a probability
    tree_info = booster["model"]["tree_info"]
    trees = [_xgb_tree(t, tree_info[i]) for i, t in enumerate(booster["model"]["trees"])]
    k = max(tree_info) + 1
    base = np.broadcast_to(base, (k,)).copy()
    return Ensemble(trees, k, LT, "float", base, _XGB_LINKS[objective])


_XGB_LINKS = {
    "binary:logistic": "sigmoid",
    "multi:softprob": "softmax",
    "multi:softmax": "softmax",
    "reg:squarederror": "identity",
    "rank:ndcg": "identity",  # ranking scores are the raw margins
    "rank:pairwise": "identity",
    "rank:map": "identity",
}


def _xgb_tree(tree: dict, target: int) -> Tree:
    if any(tree.get("split_type", [])):
        raise ModelError("cannot export to ONNX: XGBoost categorical splits are not supported")
    left = np.asarray(tree["left_children"], dtype=np.int64)
    conditions = np.asarray(tree["split_conditions"], dtype=np.float32).astype(np.float64)
    return Tree(
        left=left,
        right=np.asarray(tree["right_children"], dtype=np.int64),
        feature=np.asarray(tree["split_indices"], dtype=np.int64),
        threshold=conditions,
        missing_left=np.asarray(tree["default_left"], dtype=bool),
        value=np.where(left < 0, conditions, 0.0)[:, None],
        targets=[target],
    )

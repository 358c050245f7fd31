"""Every family builds, fits and predicts on real data for every task and config it may get."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from fitfinder.estimators import FAMILIES, BuildContext
from fitfinder.estimators.base import TASKS
from fitfinder.search.space import Categorical, from_unit, sample, to_unit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAX_ROUNDS = 16  # fidelity cap that keeps the suite fast
PREPROCESSING = {
    "glm": "scaled",
    "svm": "scaled",
    "knn": "scaled",
    "rf": "trees",
    "extra_trees": "trees",
    "hist_gb": "native",
    "lightgbm": "native",
    "xgboost": "native",
    "nn": "native",
}
FIDELITY = {"rf": "n_estimators", "extra_trees": "n_estimators", "hist_gb": "max_iter"}
FIDELITY |= {"lightgbm": "n_estimators", "xgboost": "n_estimators", "nn": "max_epochs"}
LOADERS = {"binary": load_breast_cancer, "multiclass": load_wine, "regression": load_diabetes}


@pytest.fixture(autouse=True)
def one_openmp_thread():
    """As the runner does: OpenMP (HistGradientBoosting) would otherwise spin on a busy machine."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Standardised real data per task."""
    out = {}
    for task, load in LOADERS.items():
        X, y = load(return_X_y=True)
        out[task] = StandardScaler().fit_transform(X), y
    return out


def _start_points(family):
    yield "low_cost", family.low_cost
    yield "defaults", family.defaults
    for i, config in enumerate(family.alternatives):
        yield f"alternative{i}", config


def _configs(family):
    yield from _start_points(family)
    for seed in range(3):
        yield f"sample{seed}", sample(family.space, np.random.default_rng(seed))


def _capped(family, config):
    if family.fidelity is None:
        return config
    return config | {family.fidelity: min(config[family.fidelity], MAX_ROUNDS)}


def _check_predictions(model, X, task, n_classes):
    if task == "regression":
        assert np.isfinite(model.predict(X)).all()
        return
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert set(np.unique(model.predict(X))) <= set(range(n_classes))


#: the families of tables (the forecasting ones are tested in tests/tasks/forecast)
# the tabular families that apply to every table (the text families: tests/tasks/text)
TABULAR = {
    name: family
    for name, family in FAMILIES.items()
    if family.tasks & set(TASKS) and family.applies is None
}
CASES = [
    (name, task, label)
    for name, family in TABULAR.items()
    for task in TASKS
    for label, _ in _configs(family)
]


@pytest.mark.parametrize(("name", "task", "label"), CASES)
def test_build_fit_predict(datasets, name, task, label):
    family = FAMILIES[name]
    config = _capped(family, dict(_configs(family))[label])
    X, y = datasets[task]
    ctx = BuildContext(task=task, n_rows=len(X), n_threads=1, seed=0)
    model = family.build(config, ctx)
    # Weights once per family and task: sklearn 1.9's weighted HistGB binning costs ~0.1 s/feature.
    weighted = family.supports_sample_weight and label == "low_cost"
    weights = {"sample_weight": np.linspace(0.5, 1.5, len(y))} if weighted else {}
    model.fit(X, y, **weights)
    _check_predictions(model, X, task, len(np.unique(y)) if task != "regression" else 0)


@pytest.mark.parametrize("name", TABULAR)
def test_declaration(name):
    family = FAMILIES[name]
    assert family.name == name
    assert family.tasks == frozenset(TASKS)
    assert family.preprocessing == PREPROCESSING[name]
    assert family.fidelity == FIDELITY.get(name)
    assert family.description and family.cost > 0


@pytest.mark.parametrize(
    ("name", "which"),
    [(name, label) for name, family in FAMILIES.items() for label, _ in _start_points(family)],
)
def test_start_points_lie_in_the_space(name, which):
    family = FAMILIES[name]
    config = dict(_start_points(family))[which]
    assert set(config) == set(family.space)
    for key, dim in family.space.items():
        if isinstance(dim, Categorical):
            assert config[key] in dim.choices
        else:
            assert dim.low <= config[key] <= dim.high
    back = from_unit(family.space, to_unit(family.space, config))
    for key, dim in family.space.items():
        if isinstance(dim, Categorical):  # choices (strings, booleans) come back as they went in
            assert back[key] == config[key]
        else:
            assert back[key] == pytest.approx(config[key], rel=1e-9)


@pytest.fixture(scope="module")
def credit() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Credit data with column 0 the ordinal code of ``Home`` (NaN where missing), per task."""
    frame = pd.read_csv(EXAMPLES / "credit_data.csv").head(1500)
    home = frame["Home"].astype("category").cat.codes.replace(-1, np.nan).to_numpy(float)
    numeric = frame[["Seniority", "Time", "Age", "Expenses", "Income", "Assets", "Debt", "Price"]]
    X = np.column_stack([home, numeric.to_numpy(float)])
    job = frame["Job"].astype("category").cat.codes.to_numpy()
    keep = job >= 0
    return {
        "binary": (X, (frame["Status"] == "bad").to_numpy(int)),
        "multiclass": (X[keep], job[keep]),
        "regression": (X, frame["Amount"].to_numpy(float)),
    }


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", ["lightgbm", "xgboost", "hist_gb"])
def test_native_categorical_column(credit, name, task):
    family = FAMILIES[name]
    X, y = credit[task]
    ctx = BuildContext(task=task, n_rows=len(X), seed=1, categorical_indices=(0,))
    model = family.build(_capped(family, family.defaults), ctx).fit(X, y)
    _check_predictions(model, X, task, len(np.unique(y)) if task != "regression" else 0)
    if name == "hist_gb":
        assert model.is_categorical_.tolist() == [True] + [False] * (X.shape[1] - 1)


def test_lightgbm_splits_the_categorical_natively(credit):
    X, y = credit["binary"]
    ctx = BuildContext(task="binary", n_rows=len(X), categorical_indices=(0,))
    model = FAMILIES["lightgbm"].build(FAMILIES["lightgbm"].defaults, ctx).fit(X, y)
    decisions = set(_decision_types(model.booster_.dump_model()["tree_info"], feature=0))
    assert "==" in decisions and "<=" not in decisions


def _decision_types(trees, feature):
    stack = [tree["tree_structure"] for tree in trees]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            if node["split_feature"] == feature:
                yield node["decision_type"]
            stack += [node["left_child"], node["right_child"]]


def test_threads_and_seed_reach_the_boosters():
    ctx = BuildContext(task="binary", n_rows=100, n_threads=2, seed=7)
    for name in ("lightgbm", "xgboost", "rf", "extra_trees"):
        params = FAMILIES[name].build(FAMILIES[name].low_cost, ctx).get_params()
        assert (params["n_jobs"], params["random_state"]) == (2, 7), name
    assert (
        FAMILIES["lightgbm"].build(FAMILIES["lightgbm"].low_cost, ctx).get_params()["verbose"] == -1
    )


def test_svm_approximates_the_rbf_kernel_on_large_data(datasets):
    X, y = datasets["binary"]
    svm = FAMILIES["svm"]
    config = svm.defaults | {"kernel": "rbf"}
    small = svm.build(config, BuildContext(task="binary", n_rows=len(X)))
    large = svm.build(config, BuildContext(task="binary", n_rows=50_000))
    assert type(small.estimator).__name__ == "SVC"
    assert isinstance(large.estimator, Pipeline)
    assert "nystroem" in large.estimator.named_steps
    large.fit(X[:400], y[:400])
    _check_predictions(large, X, "binary", 2)


def test_glm_penalty_picks_model_and_solver():
    glm = FAMILIES["glm"]
    lasso = glm.defaults | {"penalty": "l1"}
    clf = glm.build(lasso, BuildContext(task="multiclass", n_rows=100))
    assert (clf.l1_ratio, clf.solver) == (1.0, "saga")
    assert glm.build(glm.defaults, BuildContext(task="binary", n_rows=100)).solver == "lbfgs"
    assert (
        type(glm.build(glm.defaults, BuildContext(task="regression", n_rows=100))).__name__
        == "Ridge"
    )
    enet = glm.build(
        glm.defaults | {"penalty": "elasticnet", "l1_ratio": 0.3},
        BuildContext(task="regression", n_rows=100),
    )
    assert (type(enet).__name__, enet.l1_ratio) == ("ElasticNet", 0.3)


def test_knn_neighbours_capped_at_training_rows():
    knn = FAMILIES["knn"]
    model = knn.build(
        knn.defaults | {"n_neighbors": 50}, BuildContext(task="regression", n_rows=12)
    )
    assert model.n_neighbors == 12

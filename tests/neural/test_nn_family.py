"""The nn family's declaration and how the registry treats it as an optional family."""

import logging

import pytest

from fitfinder.errors import MissingExtraError
from fitfinder.estimators import FAMILIES, BuildContext, neural, select_families
from fitfinder.estimators.registry import missing_extra
from fitfinder.search.space import Categorical, Int, from_unit, to_unit

EXPECTED_CHOICES = {
    "activation": {"relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid"},
    "norm": {"batch", "layer", "none"},
    "init": {"xavier", "kaiming"},
    "residual": {False, True},
    "shape": {"constant", "shrinking"},
    "optimizer": {"sgd", "adam", "adamw", "rmsprop", "adagrad"},
    "schedule": {"constant", "cosine", "onecycle", "polynomial"},
    "loss": {"mse", "mae", "huber"},
    "scaling": {"standard", "quantile", "piecewise"},
}


def test_declared_like_every_family():
    family = FAMILIES["nn"]
    assert family is neural.FAMILY
    assert family.tasks == {"binary", "multiclass", "regression"}
    assert family.preprocessing == "native" and family.fidelity == "max_epochs"
    for key, choices in EXPECTED_CHOICES.items():
        assert set(family.space[key].choices) == choices, key
    assert (family.space["depth"].low, family.space["depth"].high) == (1, 6)
    assert (
        2 ** family.space["log2_width"].low == 16 and 2 ** family.space["log2_width"].high == 1024
    )
    assert family.space["dropout"].high == 0.5 and family.space["lr"].log
    assert (family.space["bins"].low, family.space["bins"].high) == (4, 64)


@pytest.mark.parametrize("which", ["low_cost", "defaults"])
def test_start_points_lie_in_the_space_and_round_trip(which):
    family = FAMILIES["nn"]
    config = getattr(family, which)
    assert set(config) == set(family.space)
    for key, dim in family.space.items():
        if isinstance(dim, Categorical):
            assert config[key] in dim.choices
        else:
            assert dim.low <= config[key] <= dim.high, key
    assert from_unit(family.space, to_unit(family.space, config)) == pytest.approx(config)
    assert family.low_cost["max_epochs"] < family.defaults["max_epochs"]
    assert isinstance(family.space["max_epochs"], Int)


def test_config_maps_to_estimator_parameters_with_off_at_the_range_ends():
    params = neural.estimator_params(neural.DEFAULTS)
    assert (params["width"], params["batch_size"], params["members"]) == (128, 256, 4)
    assert params["l1"] == 0.0 and params["grad_clip"] is None
    on = neural.estimator_params(neural.DEFAULTS | {"l1": 1e-4, "grad_clip": 1.0})
    assert (on["l1"], on["grad_clip"]) == (1e-4, 1.0)


@pytest.mark.parametrize(
    ("task", "kind"), [("binary", "NeuralClassifier"), ("regression", "NeuralRegressor")]
)
def test_build_passes_categoricals_threads_and_seed(task, kind):
    ctx = BuildContext(task=task, n_rows=100, n_threads=2, seed=7, categorical_indices=(0, 1))
    model = neural.build(neural.LOW_COST, ctx)
    assert type(model).__name__ == kind
    params = model.get_params()
    assert (params["categorical_indices"], params["n_threads"], params["random_state"]) == (
        (0, 1),
        2,
        7,
    )


def test_torch_present_nn_is_in_the_default_set():
    assert "nn" in [f.name for f in select_families(None, "binary", 1000)]
    assert missing_extra("nn") is None


def test_without_torch_nn_is_left_out_with_one_info_line(monkeypatch, caplog):
    monkeypatch.setattr(neural, "available", lambda: False)
    with caplog.at_level(logging.INFO, logger="fitfinder"):
        names = [f.name for f in select_families(None, "regression", 1000)]
    assert "nn" not in names and "lightgbm" in names
    lines = [r.getMessage() for r in caplog.records if "nn" in r.getMessage()]
    assert lines == ["the nn family is left out: it needs the [nn] extra"]


def test_without_torch_asking_for_nn_names_the_extra(monkeypatch):
    monkeypatch.setattr(neural, "available", lambda: False)
    with pytest.raises(
        MissingExtraError,
        match=r"the nn family needs the \[nn\] extra: pip install 'fitfinder\[nn\]'",
    ):
        select_families(["lightgbm", "nn"], "binary", 1000)
    assert [f.name for f in select_families(["lightgbm"], "binary", 1000)] == ["lightgbm"]

"""The family registry: names, order, lookup and selection."""

from __future__ import annotations

import pytest

from fitfinder.data.schema import Role
from fitfinder.errors import ConfigError
from fitfinder.estimators import FAMILIES, get_family, select_families
from fitfinder.tasks.forecast.schema import ForecastSchema

NAMES = ["glm", "lightgbm", "xgboost", "hist_gb", "extra_trees", "rf", "knn", "svm", "nn"]
TEXT = ["text_linear", "text_nb", "text_nbsvm", "text_embed_linear", "text_lightgbm"]
TEXT += ["text_embed_lightgbm", "text_svm", "text_nn"]
ORDER = ["text_linear", "text_nb", "text_nbsvm", "text_embed_linear", "glm", "lightgbm"]
ORDER += ["text_svm", "xgboost", "text_lightgbm", "text_embed_lightgbm", "hist_gb"]
ORDER += ["extra_trees", "rf", "knn", "svm", "nn", "text_nn"]
FORECASTERS = ["baseline", "global_lightgbm", "auto_ets", "auto_theta", "auto_arima"]
FORECASTERS += ["auto_ces", "mstl", "global_xgboost", "global_extra_trees", "nhits"]
RANKERS = ["lightgbm_lambdarank", "xgboost_ranker", "lightgbm_pointwise"]


def test_every_family_registered_cheap_first():
    forecasters = [FORECASTERS[0], "long_seasonal_naive", *FORECASTERS[1:]]
    assert list(FAMILIES) == ORDER + forecasters + RANKERS


def test_ranking_selects_only_rankers():
    assert [f.name for f in select_families(None, "rank", 1000, 60)] == RANKERS
    with pytest.raises(ConfigError, match="'lightgbm' does not serve the rank task"):
        select_families(["lightgbm"], "rank", 1000)


def test_forecasting_selects_only_forecasters():
    chosen = [f.name for f in select_families(None, "forecast", 1000, 300)]
    assert chosen == FORECASTERS
    schema = ForecastSchema("y", "ds", None, "30min", 48, seasonal_periods=(48, 336))
    chosen = [f.name for f in select_families(None, "forecast", 1000, 300, schema)]
    assert chosen[:2] == ["baseline", "long_seasonal_naive"]  # with several periods only
    with pytest.raises(ConfigError, match="'lightgbm' does not serve the forecast task"):
        select_families(["lightgbm"], "forecast", 1000)


def test_get_family():
    assert get_family("rf").name == "rf"
    with pytest.raises(
        ConfigError,
        match=r"unknown estimator 'foo'; choose from: text_linear, text_nb, text_nbsvm, text_embed_linear, glm",
    ):
        get_family("foo")


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_default_selection_serves_the_task(task):
    assert [f.name for f in select_families(None, task, 1000)] == NAMES


def test_default_selection_leaves_out_families_past_their_row_limit():
    names = [f.name for f in select_families(None, "binary", 1_000_000)]
    assert "knn" not in names and "svm" in names


def test_explicit_names_keep_their_order_and_ignore_row_limits():
    chosen = select_families(["knn", "lightgbm", "knn"], "regression", 1_000_000)
    assert [f.name for f in chosen] == ["knn", "lightgbm"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (
            ["glm", "foo"],
            r"unknown estimator 'foo'; choose from: text_linear, .*lightgbm_pointwise$",
        ),
        ([], r"no estimators given"),
    ],
)
def test_explicit_names_are_validated(names, message):
    with pytest.raises(ConfigError, match=message):
        select_families(names, "binary", 100)


def test_nn_joins_the_default_set_only_under_longer_budgets():
    short = [f.name for f in select_families(None, "binary", 1000, time_budget=60)]
    long = [f.name for f in select_families(None, "binary", 1000, time_budget=300)]
    assert "nn" not in short and "nn" in long
    assert [f.name for f in select_families(["nn"], "binary", 1000, time_budget=10)] == ["nn"]


def _schema(with_text: bool):
    from fitfinder.data import Schema

    roles = {"x": Role.NUMERIC, **({"review": Role.TEXT} if with_text else {})}
    return Schema(roles)


@pytest.mark.parametrize(
    ("task", "text"),
    [
        ("binary", TEXT),
        ("multiclass", TEXT),
        ("regression", [n for n in TEXT if n not in ("text_nb", "text_nbsvm")]),
    ],
)
def test_text_families_join_only_when_the_data_has_text(task, text):
    with_text = [f.name for f in select_families(None, task, 1000, 300, _schema(True))]
    assert [n for n in ORDER if n in set(NAMES) | set(text)] == with_text
    assert [f.name for f in select_families(None, task, 1000, 300, _schema(False))] == NAMES
    with pytest.raises(
        ConfigError, match="'text_linear' needs a text column .name one with text_columns=.,"
    ):
        select_families(["text_linear"], task, 1000, schema=_schema(False))


def test_a_family_asked_for_on_data_it_does_not_apply_to_is_named_with_its_need():
    from fitfinder.tasks.forecast.schema import ForecastSchema

    daily = ForecastSchema("y", "ds", None, "D", horizon=7, seasonal_periods=(7,))
    with pytest.raises(ConfigError, match="'long_seasonal_naive' needs several seasonal periods"):
        select_families(["long_seasonal_naive"], "forecast", 1000, schema=daily)


def test_families_that_cannot_honour_weights_are_left_out_or_refused():
    chosen = [f.name for f in select_families(None, "binary", 1000, weighted=True)]
    assert chosen == [n for n in NAMES if n not in ("knn", "svm")]
    with pytest.raises(ConfigError, match="'knn' cannot honour sample_weight"):
        select_families(["lightgbm", "knn"], "binary", 1000, weighted=True)
    assert [f.name for f in select_families(["knn"], "binary", 1000)] == ["knn"]


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_a_table_of_text_alone_searches_only_the_text_families(task):
    from fitfinder.data import Schema

    text_alone = Schema({"review": Role.TEXT, "row": Role.ID})
    chosen = [f.name for f in select_families(None, task, 1000, 300, text_alone)]
    assert chosen and all(name in TEXT for name in chosen)
    asked = select_families(["glm", "text_linear"], task, 1000, schema=text_alone)
    assert [f.name for f in asked] == ["glm", "text_linear"]  # asked for: kept

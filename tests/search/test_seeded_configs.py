"""Seeded configs in the searcher: user starting points, warm start, portfolio, in that order."""

import pytest
from test_searcher import family

from fitfinder.errors import ConfigError
from fitfinder.search.searcher import Searcher


def origins_and_configs(searcher, n):
    out = []
    for _ in range(n):
        proposal = searcher.suggest()
        out.append((proposal.origin, proposal.family, proposal.config))
        searcher.observe(proposal, 1.0, 1.0)
    return out


def test_seeded_configs_come_after_the_cheap_starts_in_rank_order_before_defaults():
    a, b = family("a", defaults={"x": 0.0, "lr": 0.1, "n": 10}), family("b")
    searcher = Searcher(
        [a, b],
        cost="trials",
        starting_points={"b": {"x": 1.0}},  # one config, not a list
        warm_start={"a": [{"x": 2.0}, {"x": 3.0}], "b": [{"x": 4.0}]},
        portfolio={"a": [{"x": 5.0, "lr": 0.2, "n": 7}]},
    )
    got = origins_and_configs(searcher, 7)
    assert [(origin, name) for origin, name, _ in got] == [
        ("low_cost", "a"),
        ("low_cost", "b"),
        ("start", "b"),
        ("warm_start", "a"),  # every family's best, then every family's second
        ("warm_start", "b"),
        ("warm_start", "a"),
        ("portfolio", "a"),
    ]
    assert got[2][2] == {**b.low_cost, "x": 1.0}  # completed with the cheap config
    assert [c["x"] for _, _, c in got[3:6]] == [2.0, 4.0, 3.0]
    assert searcher.suggest().origin == "defaults"


def test_a_seeded_config_already_tried_is_not_proposed_again():
    a = family("a", defaults={"x": 0.0, "lr": 0.1, "n": 10})
    searcher = Searcher([a], cost="trials", portfolio={"a": [dict(a.low_cost)]})
    assert [origin for origin, _, _ in origins_and_configs(searcher, 2)] == ["low_cost", "defaults"]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ({"nope": {"x": 1.0}}, "not in this search: nope"),
        ({"a": {"depth": 3}}, "starting_points for a: 'depth' is not a parameter"),
        ({"a": [{"x": 99.0}]}, r"starting_points for a: x=99.0 is outside float \[-5, 5\]"),
        ({"a": {"n": 2.5}}, "n=2.5 is outside int"),
        ({"a": ["x"]}, "'x' is not a dict of hyperparameters"),
    ],
)
def test_bad_starting_points_name_the_family_and_parameter(points, message):
    with pytest.raises(ConfigError, match=message) as raised:
        Searcher([family("a")], starting_points=points)
    assert "\n" not in str(raised.value)


def test_a_categorical_starting_point_must_be_one_of_the_choices():
    from fitfinder.search.space import Categorical

    space = {"kernel": Categorical(("rbf", "linear"))}
    with pytest.raises(ConfigError, match="kernel='poly' is not one of rbf, linear"):
        Searcher(
            [family("k", space=space, low_cost={"kernel": "rbf"})],
            starting_points={"k": {"kernel": "poly"}},
        )

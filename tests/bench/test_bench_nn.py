"""bench/nn_bench.py: single fits of the nn default config with overrides."""

import json

import nn_bench
import pytest

needs_datasets = pytest.mark.skipif(
    not (nn_bench.DEFAULT_DATASETS / "manifest.json").exists(), reason="no ../shared/datasets"
)


@needs_datasets
def test_single_fits_apply_the_overrides_and_score_on_the_test_split(capsys):
    argv = ["--part", "single", "--only", "penguins", "--set", "max_epochs=3", "members=2"]
    assert nn_bench.main([*argv, "--seed", "1"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert (line["dataset"], line["seed"], line["members"]) == ("penguins", 1, 2)
    assert line["epochs"] == 3  # max_epochs=3 reached the estimator
    assert 0 < line["score"] < 1.1  # log loss: no better than perfect, not far off the prior

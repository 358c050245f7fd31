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


@needs_datasets
def test_the_validation_split_comes_from_training_rows_only():
    manifest = json.loads((nn_bench.DEFAULT_DATASETS / "manifest.json").read_text())
    entry = next(e for e in manifest["datasets"] if e["name"] == "penguins")
    train, test, _ = nn_bench.load_split(entry, nn_bench.DEFAULT_DATASETS)
    fit, validation, truth = nn_bench.validation_split(entry, train)
    assert set(fit.index) | set(validation.index) == set(train.index)
    assert not set(validation.index) & set(test.index)
    assert len(validation) == round(0.2 * len(train))
    assert list(truth.y) == list(validation[entry["target"]].astype(str))

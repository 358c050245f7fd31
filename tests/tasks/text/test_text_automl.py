"""Text tables end to end: the text families join the search, text_columns overrides the
detection, and the model is served natively and exported to ONNX or refused in one line."""

import json

import httpx
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from fitfinder import AutoML, load
from fitfinder.cli import main
from fitfinder.data import Schema
from fitfinder.data.schema import Role
from fitfinder.errors import DataError, ModelError


@pytest.fixture(scope="module")
def reviews(shared_dataset):
    train, test, _ = shared_dataset("fine_food_reviews")
    return train.head(2000), test.head(800)


@pytest.fixture(scope="module")
def fitted(reviews, tmp_path_factory):
    train, _ = reviews
    automl = AutoML(time_budget=None, max_trials=8, verbose=0)
    automl.fit(train, target="label")
    folder = tmp_path_factory.mktemp("text") / "model"
    automl.save(folder)
    return automl, folder


def test_text_families_lead_the_search_and_the_model_reads_the_text(fitted, reviews):
    automl, _ = fitted
    _, test = reviews
    families = set(automl.leaderboard()["family"])
    assert {"text_linear", "text_nb", "text_nbsvm"} <= families
    predicted = automl.predict(test.drop(columns="label"))
    assert f1_score(test["label"], predicted, average="macro") > 0.7


def test_a_text_model_is_served_natively_and_exports_or_refuses_onnx_in_one_line(
    fitted, reviews, live_server
):
    from fitfinder.serve import create_app

    automl, folder = fitted
    _, test = reviews
    rows = test.drop(columns="label").head(3).to_dict("records")
    with live_server(create_app(folder, api_key="")) as url:
        response = httpx.post(f"{url}/predict", json=rows, timeout=30)
    assert response.status_code == 200
    assert response.json()["predictions"] == list(load(folder).predict(pd.DataFrame(rows)))
    try:  # word n-gram TF-IDF models export; the rest are refused in one line
        assert automl.export_onnx(folder / "model.onnx")["labels_match"]
    except ModelError as refused:
        assert "\n" not in str(refused) and "native backend serve" in str(refused)


def test_text_columns_override_the_detection():
    frame = pd.DataFrame(
        {
            "code": ["a b", "c d", "a b", "e f"] * 10,  # short: detected as categorical
            "note": [f"a long enough note number {i} with words" for i in range(40)],
        }
    )
    assert Schema.infer(frame).roles == {"code": Role.CATEGORICAL, "note": Role.TEXT}
    forced = Schema.infer(frame, text_columns=["code"])
    assert forced.roles == {"code": Role.TEXT, "note": Role.CATEGORICAL}
    with pytest.raises(DataError, match="'nope', which is not a column"):
        Schema.infer(frame, text_columns=["nope"])
    with pytest.raises(DataError, match="text column 'empty' is empty on every row"):
        Schema.infer(frame.assign(empty=""), text_columns=["empty"])
    # detected, an all-empty column is a constant: dropped, and the note says why
    notes = Schema.infer(frame.assign(empty="")).notes
    assert "dropped constant column 'empty' (empty on every row)" in notes


def test_cli_text_columns_and_its_one_line_errors(reviews, tmp_path, capsys):
    train, _ = reviews
    data = tmp_path / "reviews.csv"
    train.head(400).to_csv(data, index=False)
    args = ["fit", str(data), "--target", "label", "--max-trials", "2", "--time-budget", "60"]
    out = ["--out", str(tmp_path / "m"), "--json"]
    assert main([*args, "--text-columns", "text", "--estimators", "text_linear", *out]) == 0
    assert json.loads(capsys.readouterr().out)["best_family"] in ("text_linear", "ensemble")
    assert main([*args, "--text-columns", "nope", *out]) == 2
    err = capsys.readouterr().err
    assert "'nope', which is not a column" in err and len(err.strip().splitlines()) == 1
    for empty in ("", None):  # a named text column with nothing in it: empty strings, missing
        train.head(400).assign(notes=empty).to_csv(data, index=False)
        assert main([*args, "--text-columns", "text,notes", *out]) == 2
        err = capsys.readouterr().err
        assert "text column 'notes' is empty on every row" in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err

"""ONNX export of the text families on real reviews: word n-gram TF-IDF models export with
parity; character n-grams, hashing, embeddings, NB-SVM and the network are refused in one line
that names the family, from Python and from the CLI (exit status 2)."""

import httpx
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

from fitfinder import load  # noqa: E402
from fitfinder.cli import main  # noqa: E402
from fitfinder.data import Schema, prepare_target  # noqa: E402
from fitfinder.errors import ModelError  # noqa: E402
from fitfinder.estimators import FAMILIES  # noqa: E402
from fitfinder.export.onnx import export_onnx  # noqa: E402
from fitfinder.export.runtime import OnnxModel  # noqa: E402
from fitfinder.features import build_pipeline  # noqa: E402
from fitfinder.model import FittedModel  # noqa: E402
from fitfinder.tasks.text.vectorize import HASHING_ABOVE, MAX_CHARS  # noqa: E402

WORDS = {"char_ngrams": 0, "word_ngrams": 2, "max_features": 20_000}


@pytest.fixture(scope="module")
def reviews(shared_dataset):
    train, test, _ = shared_dataset("fine_food_reviews")
    train = train.head(1200).assign(stars=lambda f: f["text"].str.len() % 5)
    test = test.head(300).assign(stars=lambda f: f["text"].str.len() % 5)
    return train, test


def _model(train, family, task="binary", **changes):
    spec = FAMILIES[family]
    X = train.drop(columns="label")
    schema = Schema.infer(X)
    info = prepare_target(train["label"], task) if task != "regression" else None
    y = info.y if info else (train["label"] == "great").to_numpy(dtype=float)
    config = dict(spec.low_cost) | changes
    pipeline = build_pipeline(schema, spec, config, task=task, n_rows=len(X))
    pipeline.fit(schema.conform(X), y)
    return FittedModel(pipeline, schema, task, "auto", info.labels if info else None)


@pytest.mark.parametrize(
    ("family", "task"),
    [
        ("text_linear", "binary"),
        ("text_linear", "regression"),
        ("text_nb", "binary"),
        ("text_svm", "binary"),
        ("text_svm", "regression"),
    ],
)
def test_word_tfidf_models_export_with_parity(reviews, tmp_path, family, task):
    train, test = reviews
    model = _model(train, family, task, **WORDS)
    rows = test.drop(columns="label")
    # odd rows: an empty text, a missing one, one far past the limit, accents and capitals
    odd = rows.head(4).copy()
    odd["text"] = ["", None, "Great " * (MAX_CHARS // 3), "CAFÉ Crème brûlée, naïve 100%"]
    rows = pd.concat([rows, odd], ignore_index=True)
    report = export_onnx(model, tmp_path / "m.onnx", rows, verbose=False)
    assert report["labels_match"] and report["max_abs_diff"] < 1e-4
    graph = OnnxModel((tmp_path / "m.onnx").read_bytes(), model.schema, task, model.labels)
    if task == "regression":
        np.testing.assert_allclose(graph.predict(rows), model.predict(rows), rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(graph.predict(rows), model.predict(rows))
    assert len(graph.predict(odd[odd["text"].isna() | (odd["text"] == "")])) == 2


@pytest.mark.parametrize(
    ("family", "changes", "says"),
    [
        ("text_linear", {"char_ngrams": 4}, "reads character n-grams of text column 'text'"),
        (
            "text_linear",
            {"char_ngrams": 0, "max_features": HASHING_ABOVE + 1},
            "hashes the n-grams of text column 'text'",
        ),
        ("text_nbsvm", WORDS, "NB-SVM"),
        ("text_embed_linear", {}, "reads dense embeddings of text column 'text'"),
    ],
)
def test_what_cannot_be_converted_is_refused_in_one_line(reviews, tmp_path, family, changes, says):
    train, _ = reviews
    if family.startswith("text_embed"):
        from fitfinder.tasks.text import embed

        if not embed.available():
            pytest.skip("needs the [text] extra")
    model = _model(train.head(400), family, **changes)
    with pytest.raises(ModelError) as refused:
        export_onnx(model, tmp_path / "m.onnx", train.head(20), verbose=False)
    message = str(refused.value)
    assert f"the {family} model" in message and says in message
    assert "native backend serves it" in message and "\n" not in message
    assert not (tmp_path / "m.onnx").exists()


def test_the_text_network_is_refused_by_name(reviews, tmp_path):
    pytest.importorskip("torch")
    train, _ = reviews
    model = _model(train.head(300), "text_nn", max_epochs=1)
    with pytest.raises(ModelError, match="the text_nn model is a PyTorch network"):
        export_onnx(model, tmp_path / "m.onnx", train.head(20), verbose=False)


def test_cli_export_exports_words_and_refuses_characters_with_status_2(
    reviews, tmp_path, capsys, live_server
):
    from fitfinder.serve import create_app

    train, _ = reviews
    words, chars = tmp_path / "words", tmp_path / "chars"
    _model(train.head(400), "text_linear", **WORDS).save(words)
    _model(train.head(400), "text_linear", char_ngrams=4).save(chars)
    data = tmp_path / "rows.csv"
    train.tail(50).drop(columns="label").to_csv(data, index=False)
    assert main(["export", str(words), "--data", str(data)]) == 0
    assert "ONNX parity on 50 rows" in capsys.readouterr().out
    assert (words / "model.onnx").is_file()
    rows = train.tail(3).drop(columns="label").to_dict("records")
    with live_server(create_app(words, backend="onnx", api_key="")) as url:
        served = httpx.post(f"{url}/predict", json=rows, timeout=30).json()["predictions"]
    assert served == list(load(words).predict(pd.DataFrame(rows)))
    assert main(["export", str(chars), "--data", str(data)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "the text_linear model reads character n-grams" in err
    assert "Traceback" not in err and not (chars / "model.onnx").exists()

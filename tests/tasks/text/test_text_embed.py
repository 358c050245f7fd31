"""Dense text embeddings with no download: the bundled all-MiniLM-L6-v2's static token
embeddings by default, its full encoding or a user's model folder on request, and the two
families on them, on real reviews."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, r2_score

from fitfinder import AutoML
from fitfinder.cli import main
from fitfinder.data import Schema, prepare_target
from fitfinder.errors import ConfigError
from fitfinder.estimators import select_families
from fitfinder.features import build_pipeline
from fitfinder.tasks.text import embed
from fitfinder.tasks.text.families import embedding
from fitfinder.tasks.text.vectorize import MAX_CHARS

pytestmark = pytest.mark.skipif(not embed.available(), reason="needs the [text] extra")


@pytest.fixture(scope="module")
def reviews(shared_dataset):
    train, test, _ = shared_dataset("fine_food_reviews")
    return train.head(1500), test.head(600)


def _fit(family, train, task, config):
    X = train.drop(columns="label")
    schema = Schema.infer(X)
    info = prepare_target(train["label"], task) if task != "regression" else None
    y = info.y if info else (train["label"] == "great").astype(float).to_numpy()
    pipe = build_pipeline(schema, family, config, task=task, n_rows=len(X))
    return pipe.fit(schema.conform(X), y), schema, info


def test_static_embeddings_pool_the_token_table_and_handle_empty_and_long_texts(reviews):
    train, _ = reviews
    texts = train["text"].head(200)
    vectors = {p: embed.TextEmbedder(pooling=p).fit(texts).transform(texts) for p in embed.POOLINGS}
    for matrix in vectors.values():
        assert matrix.shape == (200, 384) and matrix.dtype == np.float32
        assert np.isfinite(matrix).all()
    assert not np.allclose(vectors["sif"], vectors["mean"])
    fitted = embed.TextEmbedder().fit(texts)
    odd = fitted.transform(pd.Series(["", "x" * (MAX_CHARS * 3), texts.iloc[0]]))
    assert not odd[0].any()  # an empty text is a row of zeros
    assert np.isfinite(odd).all()
    np.testing.assert_allclose(odd[2], vectors["sif"][0], rtol=1e-5)
    # the fitted embedder pickles its weights only, not the 30,522 x 384 table
    copy = pickle.loads(pickle.dumps(fitted))
    assert len(pickle.dumps(fitted)) < 200_000
    np.testing.assert_array_equal(copy.transform(texts), vectors["sif"])


@pytest.mark.parametrize("family", embedding.FAMILIES, ids=lambda f: f.name)
def test_each_embedding_family_learns_the_reviews(reviews, family):
    train, test = reviews
    pipe, schema, info = _fit(family, train, "binary", family.defaults)
    X_test = schema.conform(test.drop(columns="label"))
    truth = np.searchsorted(info.labels, test["label"])
    macro_f1 = f1_score(truth, pipe.predict(X_test), average="macro")
    assert macro_f1 > 0.6, f"{family.name}: macro F1 {macro_f1:.3f}"  # majority class: 0.39
    regressor, schema, _ = _fit(family, train, "regression", family.low_cost)
    values = regressor.predict(schema.conform(test.drop(columns="label")))
    assert r2_score((test["label"] == "great").astype(float), values) > 0.1


def test_embedding_families_join_the_default_set_of_text_tables(reviews):
    train, _ = reviews
    schema = Schema.infer(train.drop(columns="label"))
    names = [f.name for f in select_families(None, "binary", 1500, 120, schema)]
    assert {"text_embed_linear", "text_embed_lightgbm"} <= set(names)
    names = [f.name for f in select_families(None, "binary", 1500, 60, schema)]
    assert "text_embed_linear" in names and "text_embed_lightgbm" not in names  # 120 s and more
    numbers = Schema.infer(pd.DataFrame({"x": np.arange(50) % 7, "y": np.arange(50) / 3}))
    names = [f.name for f in select_families(None, "binary", 50, 60, numbers)]
    assert not any(name.startswith("text_embed") for name in names)


def test_text_embeddings_names_a_folder_or_fails_in_one_line(tmp_path):
    assert embed.resolve_source(None) is None and embed.resolve_source("static") is None
    assert embed.resolve_source("full") == "full"
    with pytest.raises(ConfigError, match="is not a folder") as missing:
        embed.resolve_source(tmp_path / "nope")
    assert "\n" not in str(missing.value)
    with pytest.raises(ConfigError, match="holds no model"):
        embed.resolve_source(tmp_path)
    assert embed.resolve_source(embed.bundled_folder()) == str(embed.bundled_folder())


def test_a_model_folder_is_encoded_by_its_library(reviews, tmp_path):
    """The bundled folder as a user's sentence-transformers folder, and the same weights as a
    plain transformers folder (no modules.json): the two mean-pooled encodings agree."""
    pytest.importorskip("sentence_transformers")
    texts = reviews[0]["text"].head(6)
    folder = embed.bundled_folder()
    sentence = embed.TextEmbedder(str(folder)).fit(texts).transform(texts)
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
        "special_tokens_map.json",
    ):
        (plain / name).symlink_to(folder / name)
    pooled = embed.TextEmbedder(embed.resolve_source(plain)).fit(texts).transform(texts)
    assert sentence.shape == pooled.shape == (6, 384)
    cosine = (sentence * pooled).sum(axis=1) / (
        np.linalg.norm(sentence, axis=1) * np.linalg.norm(pooled, axis=1)
    )
    assert cosine.min() > 0.99  # sentence-transformers normalises; the direction is the same


def test_automl_with_a_model_folder_and_the_cli_refusal(reviews, tmp_path, capsys):
    train, test = reviews
    automl = AutoML(
        time_budget=None,
        max_trials=1,
        n_folds=2,
        ensemble=False,
        estimators=["text_embed_linear"],
        verbose=0,
    )
    small = train.head(60)
    automl.fit(small, target="label", text_embeddings=str(embed.bundled_folder()))
    assert automl.model_.schema.text_embeddings == str(embed.bundled_folder())
    assert len(automl.predict(test.drop(columns="label").head(5))) == 5
    data = tmp_path / "reviews.csv"
    small.to_csv(data, index=False)
    args = ["fit", str(data), "--target", "label", "--max-trials", "1", "--out", str(tmp_path)]
    assert main([*args, "--text-embeddings", str(tmp_path / "nope"), "--json"]) == 2
    err = capsys.readouterr().err
    assert "is not a folder" in err and len(err.strip().splitlines()) == 1


def test_an_embedding_model_is_saved_loaded_and_served_natively(reviews, tmp_path, live_server):
    pytest.importorskip("fastapi")
    import httpx

    from fitfinder import load
    from fitfinder.model import FittedModel
    from fitfinder.serve import create_app

    train, test = reviews
    pipe, schema, info = _fit(
        embedding.LIGHTGBM, train.head(500), "binary", embedding.LIGHTGBM.low_cost
    )
    FittedModel(pipe, schema, "binary", "auto", info.labels).save(tmp_path / "m")
    rows = test.drop(columns="label").head(4).assign(text=["", None, "tasty", "awful stale"])
    expected = list(load(tmp_path / "m").predict(rows))
    with live_server(create_app(tmp_path / "m", api_key="")) as url:
        payload = rows.astype(object).where(rows.notna(), None).to_dict("records")
        response = httpx.post(f"{url}/predict", json=payload, timeout=30)
    assert response.status_code == 200 and response.json()["predictions"] == expected

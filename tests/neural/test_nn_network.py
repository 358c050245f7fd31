"""The network module: input encoding, architecture and an export-friendly forward pass."""

import io
import pickle

import numpy as np
import pytest
import torch

from fitfinder.estimators.neural.estimator import NeuralClassifier
from fitfinder.estimators.neural.network import (
    KNOTS,
    ByteDropout,
    InputEncoder,
    TabularNet,
    embedding_dim,
)

ARCH = dict(activation="relu", norm="none", dropout=0.0, residual=False)


def _encoder(X, categorical=(0,), scaling="standard", bins=16):
    return InputEncoder(X, categorical, scaling, np.arange(len(X)), bins)


def test_categorical_codes_become_embedding_indices_with_zero_for_missing_and_unseen():
    X = np.array([[0.0, 1.0], [2.0, 2.0], [np.nan, 3.0], [1.0, 4.0]], dtype=np.float32)
    encoder = _encoder(X)
    assert encoder.cardinalities == [3]
    new = torch.tensor([[0.0, 1.0], [2.0, 1.0], [np.nan, 1.0], [7.0, 1.0], [-1.0, 1.0]])
    _, codes = encoder(new)
    assert codes[:, 0].tolist() == [1, 3, 0, 0, 0]


def test_numbers_are_imputed_flagged_and_standardised():
    X = np.array([[1.0, 5.0], [3.0, np.nan], [5.0, 7.0], [7.0, 9.0]], dtype=np.float32)
    numeric, codes = _encoder(X, categorical=())(torch.from_numpy(X))
    assert codes.shape == (4, 0)
    assert numeric.shape == (4, 3)  # two scaled columns + one missing flag (column 1 only)
    assert numeric[:, 2].tolist() == [0.0, 1.0, 0.0, 0.0]
    np.testing.assert_allclose(numeric[:, 0].mean(), 0.0, atol=1e-6)
    np.testing.assert_allclose(numeric[:, 0].std(unbiased=False), 1.0, atol=1e-5)
    assert numeric[1, 1] == pytest.approx(0.0, abs=1e-6)  # the median 7 is also the mean


def test_quantile_scaling_is_monotone_gaussian_like_and_handles_ties():
    rng = np.random.default_rng(0)
    skewed = rng.lognormal(0, 2, 5000)
    binary = (rng.random(5000) < 0.3).astype(float)
    X = np.column_stack([skewed, binary]).astype(np.float32)
    numeric, _ = _encoder(X, categorical=(), scaling="quantile").encode(torch.from_numpy(X))
    scaled = numeric[:, 0].numpy()
    order = np.argsort(skewed)
    assert np.all(np.diff(scaled[order]) >= -1e-6)
    assert abs(np.median(scaled)) < 0.1 and 0.8 < scaled.std() < 1.2
    zeros, ones = numeric[binary == 0, 1], numeric[binary == 1, 1]
    assert zeros.unique().numel() == 1 and ones.unique().numel() == 1
    assert zeros[0] < 0 < ones[0]
    assert KNOTS >= 32


@pytest.mark.parametrize("n_bins", [4, 16, 32])
def test_piecewise_encoding_fills_quantile_bins_in_order(n_bins):
    rng = np.random.default_rng(0)
    skewed = rng.lognormal(0, 2, 5000)
    binary = (rng.random(5000) < 0.3).astype(float)
    X = np.column_stack([skewed, binary]).astype(np.float32)
    encoder = _encoder(X, categorical=(), scaling="piecewise", bins=n_bins)
    numeric, _ = encoder.encode(torch.from_numpy(X))
    assert numeric.shape == (5000, n_bins + 1) == (5000, encoder.n_numeric_outputs)
    bins = numeric[:, :n_bins].numpy()
    assert bins.min() >= 0.0 and bins.max() <= 1.0 + 1e-6
    order = np.argsort(skewed)
    assert np.all(np.diff(bins[order].sum(axis=1)) >= -1e-5)  # a larger value fills more bins
    filled = (bins > 0.999).sum(axis=0) / len(bins)  # equal-frequency bins: 1/n_bins per step
    np.testing.assert_allclose(np.diff(filled), -1 / n_bins, atol=0.01)
    np.testing.assert_array_equal(numeric[:, n_bins], binary)  # one bin: the column
    outside = torch.tensor([[skewed.max() * 10, 5.0], [-1.0, -5.0]], dtype=torch.float32)
    clipped, _ = encoder(outside)
    np.testing.assert_allclose(clipped[0, :n_bins], 1.0, atol=1e-6)  # past the top bin
    np.testing.assert_allclose(clipped[1, :n_bins], 0.0, atol=1e-6)  # below the first


@pytest.mark.parametrize("scaling", ["quantile", "standard"])
def test_an_encoder_pickled_by_an_earlier_version_still_encodes(scaling):
    X = np.random.default_rng(0).lognormal(0, 1, (300, 3)).astype(np.float32)
    encoder = _encoder(X, categorical=(), scaling=scaling)
    old = encoder.__dict__.copy()
    old["quantile"] = old.pop("scaling") == "quantile"  # the attribute earlier versions saved
    restored = InputEncoder.__new__(InputEncoder)
    restored.__setstate__(pickle.loads(pickle.dumps(old)))
    torch.testing.assert_close(restored(torch.from_numpy(X))[0], encoder(torch.from_numpy(X))[0])


@pytest.mark.parametrize("p", [0.05, 0.1, 0.5])
def test_byte_dropout_drops_p_of_the_units_keeps_the_mean_and_is_off_in_eval(p):
    x = torch.ones(400, 500)
    dropout = ByteDropout(p)
    torch.manual_seed(0)
    out = dropout(x)
    assert (out == 0).float().mean().item() == pytest.approx(p, abs=0.01)
    assert out.mean().item() == pytest.approx(1.0, abs=0.02)
    assert out.unique().tolist() == [0.0, pytest.approx(256 / (256 - round(256 * p)))]
    torch.manual_seed(0)
    assert torch.equal(dropout(x), out)  # seeded: the same mask
    assert not torch.equal(dropout(x), out)  # the next draw: another mask
    assert dropout.eval()(x) is x


@pytest.mark.parametrize(
    ("shape", "widths"), [("constant", [64, 64, 64]), ("shrinking", [64, 32, 16])]
)
def test_body_widths_and_embedding_sizes(shape, widths):
    X = np.column_stack([np.arange(100) % 9, np.random.default_rng(0).normal(size=(100, 2))])
    net = TabularNet(_encoder(X.astype(np.float32)), 3, depth=3, width=64, shape=shape, **ARCH)
    assert [block.linear.out_features for block in net.body] == widths
    assert net.embeddings[0].num_embeddings == 10 and net.embeddings[0].embedding_dim == 5
    assert net.body[0].linear.in_features == 2 + 5
    assert embedding_dim(1000) == 50


def test_residual_blocks_add_a_skip_projection_only_when_widths_differ():
    X = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    arch = ARCH | {"residual": True}
    net = TabularNet(_encoder(X, ()), 1, depth=2, width=32, shape="constant", **arch)
    assert isinstance(net.body[0].skip, torch.nn.Linear)
    assert isinstance(net.body[1].skip, torch.nn.Identity)
    plain = TabularNet(_encoder(X, ()), 1, depth=2, width=32, shape="constant", **ARCH)
    assert plain.body[1].skip is None


@pytest.mark.parametrize(
    ("link", "n_outputs", "mean_of"),
    [
        ("identity", 1, lambda z: z),
        ("sigmoid", 1, torch.sigmoid),
        ("softmax", 3, lambda z: torch.softmax(z, dim=-1)),
    ],
)
def test_ensemble_members_combine_into_their_mean_value_or_probability(link, n_outputs, mean_of):
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    arch = ARCH | {"members": 4, "link": link}
    net = TabularNet(_encoder(X, ()), n_outputs, depth=2, width=16, shape="constant", **arch)
    encoded = net.encoder(torch.from_numpy(X))
    with torch.no_grad():
        members = net.forward_members(*encoded)
        combined = net.forward_encoded(*encoded)
    assert members.shape == (40, 4, n_outputs) and combined.shape == (40, n_outputs)
    assert members.std(dim=1).min() > 0  # the sign adapters make the members differ
    torch.testing.assert_close(mean_of(combined), mean_of(members).mean(dim=1))
    assert sorted(net.adapter.unique().tolist()) == [-1.0, 1.0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's TorchScript-based exporter
@pytest.mark.parametrize(
    ("scaling", "members", "bins"),
    [("standard", 1, 16), ("quantile", 1, 16), ("piecewise", 1, 8), ("piecewise", 4, 32)],
)
def test_forward_on_raw_matrix_matches_prediction_and_exports_to_onnx(
    mixed, scaling, members, bins
):
    ort = pytest.importorskip("onnxruntime")
    X, y = mixed
    model = NeuralClassifier(
        categorical_indices=(0,),
        max_epochs=3,
        norm="batch",
        residual=True,
        scaling=scaling,
        members=members,
        bins=bins,
    )
    model.fit(X, y)
    if scaling == "piecewise":
        assert model.net_.encoder.edges.shape == (3, bins + 1)  # three numeric columns
    raw = torch.from_numpy(X.astype(np.float32))
    with torch.inference_mode():
        logits = model.net_(raw)
    np.testing.assert_allclose(
        torch.sigmoid(logits[:, 0]).numpy(), model.predict_proba(X)[:, 1], rtol=1e-5, atol=1e-6
    )
    buffer = io.BytesIO()
    torch.onnx.export(
        model.net_,
        (raw[:4],),
        buffer,
        input_names=["x"],
        dynamic_axes={"x": {0: "rows"}},
        dynamo=False,
    )
    session = ort.InferenceSession(buffer.getvalue())
    np.testing.assert_allclose(session.run(None, {"x": raw.numpy()})[0], logits.numpy(), atol=1e-4)


def test_a_network_pickled_before_ensembles_existed_still_predicts():
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    net = TabularNet(_encoder(X, ()), 2, depth=1, width=8, shape="constant", **ARCH).eval()
    state = net.__getstate__()
    del state["members"], state["link"]  # what an earlier version pickled
    old = TabularNet.__new__(TabularNet)
    old.__setstate__(state)
    with torch.no_grad():
        torch.testing.assert_close(old(torch.from_numpy(X)), net(torch.from_numpy(X)))

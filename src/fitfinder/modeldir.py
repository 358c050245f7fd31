"""A model directory on disk: written so that a kill leaves either the whole model or none, and
read only after its files are checked against the hashes it recorded.

``model.json`` is the commit point. A save first removes the previous ``model.json`` and the
files it vouched for (so a half-replaced directory is no model at all), writes every file under
a temporary name and renames it, and writes ``model.json`` last the same way, with the SHA-256
of every file it vouches for. The directory is not swapped as a whole because it may hold the
live journal of the run (``fitfinder fit --out dir`` keeps ``journal.db`` there, and
``--resume`` needs it through any kill). A hash guards against stale, partial or swapped files;
it is not a signature: whoever can write ``model.json`` can vouch for any file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from fitfinder.errors import ModelError

MODEL_FILE = "model.json"
HASHES_KEY = "files"
_CHUNK = 1 << 20

Writer = Callable[[Path], None]


def begin(folder: Path, leftovers: Iterable[str]) -> None:
    """Make ``folder`` hold no model: remove its ``model.json``, the files that one vouched
    for and the ``leftovers`` of older saves (such as an exported graph)."""
    folder.mkdir(parents=True, exist_ok=True)
    previous = _recorded(folder)
    _remove(folder / MODEL_FILE)
    for name in {*previous, *leftovers}:
        _remove(folder / name)


def write_file(folder: Path, name: str, writer: Writer) -> None:
    """``writer`` writes the file under a temporary name in ``folder``; it is then renamed to
    ``name`` in one step."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.close(handle)
    try:
        writer(Path(temporary))
        os.replace(temporary, folder / name)
    finally:
        _remove(Path(temporary))


def commit(folder: Path, description: dict, names: Iterable[str], default=None) -> None:
    """Write ``model.json`` (``description`` plus the SHA-256 of each of ``names``) last."""
    content = {**description, HASHES_KEY: {n: file_hash(folder / n) for n in sorted(names)}}
    text = json.dumps(content, indent=2, default=default)
    write_file(folder, MODEL_FILE, lambda path: path.write_text(text))


def rewrite_description(folder: Path, description: dict) -> None:
    """Replace ``model.json`` by ``description`` in one step (its hashes as given)."""
    text = json.dumps(description, indent=2)
    write_file(folder, MODEL_FILE, lambda path: path.write_text(text))


def verify(folder: Path, description: dict, names: Iterable[str] | None = None) -> None:
    """ModelError unless each recorded file (or each of ``names``) is there with its recorded
    hash. A directory saved before hashes were recorded passes unchecked."""
    recorded = description.get(HASHES_KEY)
    if recorded is None:
        return
    for name in recorded if names is None else names:
        if name not in recorded:
            raise ModelError(f"{folder}/{name} is not part of the saved model; re-save it")
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{path} is missing: the model directory is incomplete; re-save it")
        if file_hash(path) != recorded[name]:
            raise ModelError(
                f"{path} does not match the hash in {MODEL_FILE} (changed or replaced after "
                "saving); re-save the model"
            )


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _recorded(folder: Path) -> list[str]:
    """The files the current ``model.json`` of ``folder`` vouches for (none if unreadable)."""
    try:
        description = json.loads((folder / MODEL_FILE).read_text())
    except (OSError, ValueError):
        return []
    names = description.get(HASHES_KEY) or {}
    return [n for n in names if Path(n).name == n]  # never outside the folder


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)

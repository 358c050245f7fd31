"""fitfinder's temporary files: in folders named after the process that owns them.

A fit writes two kinds of temporary files: the training data shipped to its workers and, for a
Python-API fit without ``storage=``, its journal. Each lives in a folder
``<tmp>/fitfinder-<pid>-<kind>-<random>`` that its owner removes when done (the runner at
shutdown, the journal when the ``AutoML`` object goes away or the interpreter exits). A killed
process cannot remove anything, so every new folder first clears those whose owner is gone: its
pid no longer runs, or runs a process started after the folder was made (a reused pid). Only
folders of the current user are touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import psutil

_NAME = re.compile(r"^fitfinder-(\d+)-[a-z]+-")


def make_dir(kind: str) -> Path:
    """A new temporary folder owned by this process (stale ones cleared first)."""
    clean_stale()
    return Path(tempfile.mkdtemp(prefix=f"fitfinder-{os.getpid()}-{kind}-"))


def remove(path: str | os.PathLike | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def clean_stale(root: str | os.PathLike | None = None) -> list[Path]:
    """Remove the fitfinder temporary folders under ``root`` (default: the system's temporary
    folder) whose owning process is gone; returns them."""
    removed = []
    root = Path(root or tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in root.iterdir():
            match = _NAME.match(entry.name)
            if match and _is_stale(entry, int(match.group(1))):
                remove(entry)
                removed.append(entry)
    return removed


def _is_stale(entry: Path, pid: int) -> bool:
    try:
        info = entry.lstat()
    except OSError:
        return False
    if info.st_uid != os.getuid() or not entry.is_dir() or entry.is_symlink():
        return False
    if pid == os.getpid():
        return False
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False
    # a pid reused since: its process started after the folder was made (ctime is a bound)
    return started > info.st_ctime + 1.0

"""Jobs for the runner tests; pickled by value so a worker needs no access to this file."""

import ctypes
import os
import subprocess
import sys
import time

import numpy as np


def echo(data, spec):
    return {"data": data, "spec": spec, "pid": os.getpid()}


def fail(data, spec):
    raise ValueError(f"bad spec {spec}")


def hang(data, spec):
    time.sleep(100)


def segfault(data, spec):
    ctypes.string_at(0)


def hog_memory(data, spec):
    """Touch 3 GB, 100 MB at a time, and hold it (the runner should kill it well before)."""
    blocks = []
    for _ in range(30):
        blocks.append(np.ones(100 * 2**20 // 8))
        time.sleep(0.01)
    time.sleep(30)
    return len(blocks)


def spawn_sleeper(data, spec):
    """Leave a grandchild process running, then hang."""
    subprocess.Popen(["sleep", "100"])
    time.sleep(100)


def loaded(data, modules):
    return [name in sys.modules for name in modules]

#!/usr/bin/env bash
# Install fitfinder with every extra and the dev tools into the current Python.
# PyTorch comes first and pinned: torch==2.13.0 is the CPU build; an open range would pull CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
python -m pip install --quiet --disable-pip-version-check -e ".[all,dev]"

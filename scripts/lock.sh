#!/usr/bin/env bash
# Refresh requirements/constraints.txt: the newest versions that pyproject.toml's ranges allow,
# resolved together for Python 3.11 on x86-64 Linux, with PyTorch held at the CPU build's 2.13.0.
# Needs uv (`python3 -m pip install uv`); run scripts/test.sh afterwards and commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
uv pip compile pyproject.toml --extra all --extra dev --upgrade \
    --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --constraint requirements/torch.txt --annotation-style line \
    --custom-compile-command "bash scripts/lock.sh" -o requirements/constraints.txt

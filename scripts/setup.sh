#!/usr/bin/env bash
# Create (or reuse) the project-local virtual environment and install fitfinder with every
# extra and the dev tools into it, at the tested versions of requirements/constraints.txt.
# PyTorch comes first and pinned: torch==2.13.0 is the CPU build; an open range would pull CUDA.
# FITFINDER_VENV chooses another place for the environment (default: .venv in the project).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${FITFINDER_VENV:-.venv}"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" "torch==2.13.0"
"${pip[@]}" -c requirements/constraints.txt -e ".[all,dev]"

#!/usr/bin/env bash
# Install everything into the project-local environment (.venv), check style, run the default
# test suite (slow tests: add `-m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
py="${FITFINDER_VENV:-.venv}/bin/python"
"$py" -m ruff check src tests bench
"$py" -m ruff format --check src tests bench
"$py" -m pytest -q -p no:cacheprovider "$@"

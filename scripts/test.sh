#!/usr/bin/env bash
# Install everything, check style, run the default test suite (slow tests: add `-m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python -m ruff check src tests bench
python -m ruff format --check src tests bench
python -m pytest -q -p no:cacheprovider "$@"

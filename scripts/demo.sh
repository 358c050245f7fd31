#!/usr/bin/env bash
# Install everything into the project-local environment (.venv), then run the main job on the
# bundled concrete_strength table (1,030 rows).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bin="${FITFINDER_VENV:-.venv}/bin"
"$bin/fitfinder" fit examples/concrete_strength.csv --target compressive_strength --time-budget 60 --out demo-model
"$bin/fitfinder" leaderboard demo-model --top 10
"$bin/fitfinder" predict demo-model examples/concrete_strength.csv -o demo-model/predictions.csv

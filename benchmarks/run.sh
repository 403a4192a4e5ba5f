#!/usr/bin/env bash
# Run every benchmark (benchmarks/bench_*.py); each prints its figures as ratios against a named baseline.
# Usage: bash benchmarks/run.sh [NAME ...]     e.g. bash benchmarks/run.sh recommend
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev >/dev/null
.venv/bin/python -m pip install -q -e ".[bench]"
export QTWEBENGINE_DISABLE_SANDBOX=1 QT_QPA_PLATFORM=offscreen
names=("$@")
for bench in benchmarks/bench_*.py; do
  name=$(basename "$bench" .py); name=${name#bench_}
  if (( ${#names[@]} )) && [[ ! " ${names[*]} " == *" $name "* ]]; then continue; fi
  echo "== $name"
  .venv/bin/python "$bench"
done

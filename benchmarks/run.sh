#!/usr/bin/env bash
# Run every benchmark (benchmarks/bench_*.py); each prints its figures as ratios against a named baseline.
# Usage: bash benchmarks/run.sh [NAME ...]     e.g. bash benchmarks/run.sh recommend
# Extra options for every benchmark in BENCH_ARGS, e.g. BENCH_ARGS="--families dense,limit --no-raw"
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
  # shellcheck disable=SC2086  # BENCH_ARGS is split into options on purpose
  .venv/bin/python "$bench" ${BENCH_ARGS:-}
done

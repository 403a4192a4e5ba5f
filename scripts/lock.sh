#!/usr/bin/env bash
# Rebuild the lock files from pyproject.toml, pinned to the versions installed in .venv (the ones the
# test suite just passed with). Updating the locks is a deliberate commit: run `bash scripts/test.sh`
# first, then this script, then commit requirements*.lock with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q uv
tested=$(mktemp)
trap 'rm -f "$tested"' EXIT
.venv/bin/python -m pip freeze --exclude-editable | grep -v -i -E '^(uv|ambmap)==' > "$tested"
common=(--custom-compile-command "bash scripts/lock.sh" --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_36 -c "$tested" -q)
.venv/bin/uv pip compile pyproject.toml "${common[@]}" -o requirements.lock
.venv/bin/uv pip compile pyproject.toml --extra test "${common[@]}" -o requirements-dev.lock
echo "requirements.lock et requirements-dev.lock mis à jour"

#!/usr/bin/env bash
# Install what the tests need, then run the whole suite under a virtual X display.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
export QTWEBENGINE_DISABLE_SANDBOX=1   # Chromium's sandbox refuses to run as root
export QT_QPA_PLATFORM=xcb
exec xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python -m pytest "$@"

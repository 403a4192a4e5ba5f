#!/usr/bin/env bash
# Install ambmap on Debian/Ubuntu: system libraries for Qt WebEngine (apt), then a virtual
# environment in .venv with the package. Usage: scripts/install.sh [--dev]   (--dev: test tools too)
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=""
[[ "${1:-}" == "--dev" ]] && EXTRAS="[test]"

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
APT_PACKAGES=(
  python3-venv python3-pip
  # Qt WebEngine / xcb runtime (see shared DATA_SOURCES: libxcb-icccm4 and libxcb-keysyms1 are the real needs)
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 libxcb-shape0 libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6
  libgl1 libegl1 libfontconfig1 libdbus-1-3 fonts-dejavu-core
)
if [[ -n "$EXTRAS" ]]; then
  # tests: virtual display, GDAL's ogrinfo, poppler's pdftoppm/pdftotext, headless Chromium
  APT_PACKAGES+=(xvfb xauth gdal-bin poppler-utils chromium)
fi
# libasound2 was renamed libasound2t64 in Ubuntu 24.04 / Debian 13
if apt-cache show libasound2t64 >/dev/null 2>&1; then APT_PACKAGES+=(libasound2t64); else APT_PACKAGES+=(libasound2); fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  echo "Installation des paquets système : ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "ambmap demande Python 3.11 ou plus récent ($PYTHON est trop ancien)." >&2; exit 1; }
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Every dependency comes pinned with its hashes from the lock file (rebuilt deliberately by
# scripts/lock.sh after a green test run), so no machine resolves a different, untested version.
LOCK=requirements.lock
[[ -n "$EXTRAS" ]] && LOCK=requirements-dev.lock
.venv/bin/python -m pip install -q --require-hashes -r "$LOCK"
.venv/bin/python -m pip install -q --no-deps -e .
echo "ambmap installé dans $(pwd)/.venv"

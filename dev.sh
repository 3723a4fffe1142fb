#!/usr/bin/env bash
# cnnviz in one command.
#   ./dev.sh run    set everything up, then open the dashboard in the browser
#   ./dev.sh test   set everything up, then run the whole test suite
#   ./dev.sh setup  set everything up and stop
# Setting up means: Debian packages (Fashion-MNIST; Chromium for the browser test), a virtual
# environment in .venv with the pinned requirements and this project installed editable, and the
# default dataset in the data cache.
# Each step is skipped when it is already done, so the second run starts in seconds.
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-run}
shift || true

say() { printf '\033[1mcnnviz:\033[0m %s\n' "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      say "please install these Debian packages as root: ${missing[*]}"; return 1
    fi
  fi
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

setup() {
  local packages=(dataset-fashion-mnist)
  [ "$mode" = test ] && packages+=(chromium)
  if command -v apt-get >/dev/null; then
    apt_install "${packages[@]}" || say "continuing without: ${packages[*]}"
  fi

  local python=${PYTHON:-}
  if [ -z "$python" ]; then
    python=$(command -v python3.11 || command -v python3)
  fi
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv with $python"
    if ! "$python" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      apt_install python3-venv
      "$python" -m venv .venv
    fi
  fi
  # Reinstall when the pins or the project's own metadata change (its packages, its version).
  local stamp=.venv/.requirements.sha256
  local want
  want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing the pinned requirements (a few minutes the first time)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    # cnnviz and dashboard importable from anywhere, editable: requirements.txt already holds
    # every dependency, and the venv's own setuptools builds it offline.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$want" > "$stamp"
  fi

  # The default dataset: found in the cache, the Debian package, or fetched when online.
  .venv/bin/python -m cnnviz.data fetch fashion-mnist \
    || say "Fashion-MNIST is not ready; the pages say how to get it."
}

case "$mode" in
  setup) setup ;;
  run)
    setup
    say "opening the dashboard (Ctrl+C stops it)"
    exec .venv/bin/python -m dashboard.serve "$@"
    ;;
  test)
    setup
    exec .venv/bin/python -m pytest "$@"
    ;;
  *) echo "usage: ./dev.sh run|test|setup" >&2; exit 2 ;;
esac

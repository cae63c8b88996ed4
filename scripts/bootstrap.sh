#!/usr/bin/env bash
# Make sure the machine has what `make` needs: Python >= 3.11 with venv, Node.js >= 20 with npm.
# Installs the missing pieces from Debian's packages when run as root; otherwise says what to do.
set -euo pipefail

need=()
if ! command -v python3 >/dev/null || ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  need+=(python3)
fi
if command -v python3 >/dev/null && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  need+=(python3-venv)
fi
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)

[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Missing: ${need[*]}. Install them (e.g. sudo apt-get install ${need[*]}) and run make again." >&2
  exit 1
fi
echo "Installing ${need[*]} ..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Set up wom in ./.venv with Python 3.12 (idempotent: a second run only checks).
# Usage: bash install.sh        (package, test tools)
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
    for cand in python3.12 "$(pyenv prefix 3.12 2>/dev/null)/bin/python3.12" \
                /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 python3; do
        if [ -x "$(command -v "$cand" 2>/dev/null)" ] \
           && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$cand"
            return 0
        fi
    done
    echo "install.sh: wom needs Python >= 3.12 (try: pyenv install 3.12)" >&2
    return 1
}

if [ ! -x .venv/bin/python ] \
   || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    rm -rf .venv
    "$(find_python)" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 \
        | grep -v "^WARNING: Location" || true
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]' 2>&1 \
    | grep -v "^WARNING: Location" || true
# Byte-compile wom's modules now, as a regular (not editable) install does: where
# PYTHONDONTWRITEBYTECODE is set, every command would otherwise compile them from source.
env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m compileall -q src/wom >/dev/null
# `wom app` serves Solara's front-end files from Solara's cache in .venv, never from a CDN:
# put them there from the npm registry (needs npm; a second run only checks).
.venv/bin/python -m wom.app.assets \
    || echo "install.sh: without these files \`wom app\` cannot start (the rest of wom works)" >&2
.venv/bin/python -c 'import wom; print(f"wom {wom.__version__} ready in .venv")'

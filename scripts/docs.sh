#!/usr/bin/env bash
# Build the documentation: the API reference from the docstrings plus README.md and docs/*.md as the
# user guide -> docs/_build/html/index.html. Warnings are errors (broken cross-references fail).
# Needs the docs extra (scripts/setup.sh installs it); offline; idempotent (incremental rebuilds).
# Extra arguments go to sphinx-build (e.g. -E to rebuild everything).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$REPO/.venv/bin/python"
[ -x "$PY" ] || PY=python3
cd "$REPO"
exec "$PY" -m sphinx -E -W --keep-going -q -b html -d docs/_build/doctrees docs docs/_build/html "$@"

#!/usr/bin/env bash
# Set up (idempotent) and run the test suite; extra args go to pytest (e.g. -m slow).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$REPO/scripts/setup.sh"
cd "$REPO"
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Set up (idempotent) and run the demo; results go to $1 (default: results/demo).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$REPO/scripts/setup.sh"
exec "$REPO/.venv/bin/circuitsim" demo --out "${1:-$REPO/results/demo}"

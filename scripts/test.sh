#!/usr/bin/env bash
# Set up (idempotent), run the test suite, then build the documentation with warnings as errors
# (scripts/docs.sh; its log goes to docs/_build/docs.log and is printed only if the build fails).
# Extra args go to pytest (e.g. -m slow). CIRCUITSIM_SKIP_DOCS=1 skips the docs build.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$REPO/scripts/setup.sh"
cd "$REPO"
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 0 ] && [ "${CIRCUITSIM_SKIP_DOCS:-0}" != 1 ]; then
    mkdir -p docs/_build
    if ! scripts/docs.sh >docs/_build/docs.log 2>&1; then
        cat docs/_build/docs.log >&2
        echo "test.sh: the documentation build failed (scripts/docs.sh; warnings are errors)" >&2
        status=1
    fi
fi
exit "$status"

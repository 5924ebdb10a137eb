#!/usr/bin/env bash
# The one command that runs what CI runs: prepare the machine, then the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/unit -x).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
export OMP_THREAD_LIMIT=1
exec .venv/bin/python -m pytest "$@"

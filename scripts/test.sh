#!/usr/bin/env bash
# The one command that runs what CI runs: prepare the machine, lint and type-check
# receiptq/, then the whole test suite. Extra arguments go to pytest
# (e.g. scripts/test.sh tests/unit -x).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"

# Every tool runs, so one run shows all findings; any finding fails the run before pytest.
# (seconds: mypy keeps its cache in .mypy_cache; its settings are in pyproject.toml)
failed=""
.venv/bin/ruff check receiptq || failed+="${failed:+, }ruff check"
.venv/bin/ruff format --check receiptq || failed+="${failed:+, }ruff format --check"
.venv/bin/mypy || failed+="${failed:+, }mypy"
if [ -n "$failed" ]; then
  printf '\033[1m[test]\033[0m failed: %s (findings above; ruff format FILE fixes formatting)\n' \
    "$failed" >&2
  exit 1
fi

export OMP_THREAD_LIMIT=1
exec .venv/bin/python -m pytest "$@"

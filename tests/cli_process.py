"""Running the `receiptq` command as users do: a real process, from the repository."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

RECEIPTQ = [sys.executable, "-m", "receiptq.cli"]


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        RECEIPTQ + args, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )

"""Running the `receiptq` command as users do: a real process, from the repository."""

from __future__ import annotations

import socket
import subprocess
import sys

from conftest import ROOT

RECEIPTQ = [sys.executable, "-m", "receiptq.cli"]


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        RECEIPTQ + args, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def free_port() -> int:
    """A port nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

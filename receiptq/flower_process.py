"""Flower's process as `receiptq flower` runs it: `python -m receiptq.flower_process ARGS`
runs `python -m celery ARGS` as its child and, once asked to stop (SIGTERM, or Ctrl-C),
gives it STOP_SECONDS to exit before killing it.

Flower's own SIGTERM handler raises SystemExit in its main thread; the interpreter then
joins Flower's thread pool (non-daemon threads) and runs every broker call queued there
first: `enable_events` every 5 s, `inspect` for the pages. Those have no deadline: with
Redis stalled, a call waits for its answer forever (no socket timeout); with Redis gone,
`enable_events` retries its publish forever. Flower alone then did not exit, and a restart
waited for SIGKILL. Abandoning those calls is harmless (they only read worker state or ask
workers to send events). This parent imports nothing of Celery's: a few MB.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from types import FrameType

# Normally Flower is gone in about a second (an inspect waits 1 s for replies); Compose
# sends SIGKILL after 10 s.
STOP_SECONDS = 5.0


def run(args: list[str], stop_seconds: float = STOP_SECONDS) -> int:
    """Flower's exit status; 0 when it was asked to stop and ended by a signal (killed at
    the deadline, or SIGTERM before Flower had set up its handler)."""
    child = subprocess.Popen([sys.executable, "-m", "celery", *args])
    stopping = threading.Event()

    def deadline() -> None:  # started once asked to stop
        if child.poll() is not None:
            return
        sys.stderr.write(f"Flower did not exit within {stop_seconds:g} s of being asked "
                         "to: killed (its broker calls were waiting on Redis)\n")  # fmt: skip
        child.kill()

    def stop(signum: int, frame: FrameType | None) -> None:
        if stopping.is_set():
            return
        stopping.set()
        if signum == signal.SIGTERM:  # Ctrl-C reached the child already (same group)
            child.send_signal(signum)
        timer = threading.Timer(stop_seconds, deadline)
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # a background job's stays ignored
        signal.signal(signal.SIGINT, stop)
    code = child.wait()
    return 0 if stopping.is_set() and code < 0 else code


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()

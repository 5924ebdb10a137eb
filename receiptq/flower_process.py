"""Flower's process as `receiptq flower` runs it: `python -m receiptq.flower_process ARGS`
is `python -m celery ARGS`, except that Flower's SIGTERM stops the process within
STOP_SECONDS whatever its broker calls are doing.

Flower's own SIGTERM handler raises SystemExit in its main thread; the interpreter then
joins Flower's thread pool (non-daemon threads) and runs every broker call queued there
first: `enable_events` every 5 s, `inspect` for the pages. Those have no deadline: with
Redis stalled, a call waits for its answer forever (no socket timeout); with Redis gone,
`enable_events` retries its publish forever. The process did not exit then, and a restart
waited for SIGKILL. Abandoning them is harmless (they only read worker state or ask
workers to send events).
"""

from __future__ import annotations

import os
import threading
from types import FrameType
from typing import Any

# Normally Flower is gone in about a second (an inspect waits 1 s for replies); Compose
# sends SIGKILL after 10 s.
STOP_SECONDS = 5.0


def _exit_now() -> None:
    """The deadline passed: say so without waiting on a stderr nobody reads, then exit."""
    try:
        os.set_blocking(2, False)
        os.write(2, b"Flower's broker calls did not finish within %g s of SIGTERM: exiting "
                    b"without them\n" % STOP_SECONDS)  # fmt: skip
    except OSError:
        pass
    os._exit(0)


def _with_deadline(flowers_handler: Any) -> Any:
    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        timer = threading.Timer(STOP_SECONDS, _exit_now)
        timer.daemon = True
        timer.start()  # before the handler's log line, which could block on a full pipe
        flowers_handler(signum, frame)

    return on_sigterm


def main() -> None:
    from celery.__main__ import main as celery_main
    from flower import command  # type: ignore[import-untyped]

    # Flower installs `command.sigterm_handler` once it is set up (before, SIGTERM's default
    # action ends the process at once): install ours, Flower's with a deadline, in its place.
    if not callable(getattr(command, "sigterm_handler", None)):
        raise RuntimeError("flower.command.sigterm_handler is gone: see receiptq/flower_process.py")
    command.sigterm_handler = _with_deadline(command.sigterm_handler)
    celery_main()


if __name__ == "__main__":
    main()

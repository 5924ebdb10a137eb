"""The worker process's Context: created on first use in each process, closed on fork.

Celery's prefork pool forks children from the parent; a connection pool or Redis socket
inherited across fork would be shared by two processes, so each child starts fresh.
"""

from __future__ import annotations

from celery import current_app
from celery.signals import worker_process_init, worker_process_shutdown

from receiptq.context import Context

_context: Context | None = None


def worker_context() -> Context:
    global _context
    if _context is None:
        _context = Context(current_app.conf.receiptq_settings)
    return _context


@worker_process_init.connect
def _reset_after_fork(**_: object) -> None:
    global _context
    _context = None


@worker_process_shutdown.connect
def _close(**_: object) -> None:
    if _context is not None:
        _context.close()

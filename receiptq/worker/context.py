"""The worker process's Context: created on first use in each process, closed on fork.

Celery's prefork pool forks children from the parent; a connection pool or Redis socket
inherited across fork would be shared by two processes, so each child starts fresh. The
Context sends tasks with the worker's own Celery app (`Context.queue`).
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from receiptq.context import Context

_context: Context | None = None


def worker_context() -> Context:
    global _context
    if _context is None:
        from receiptq.worker import app  # the worker's app: this runs inside the worker

        _context = context_for(app)
    return _context


def context_for(app: Celery) -> Context:
    return Context(app.conf.receiptq_settings, celery_app=app)


def _reset_after_fork(**_: object) -> None:
    global _context
    _context = None


def _close(**_: object) -> None:
    if _context is not None:
        _context.close()


def connect_celery_signals() -> None:
    worker_process_init.connect(_reset_after_fork, weak=False)
    worker_process_shutdown.connect(_close, weak=False)

"""Give a pool process's freed memory back to the system after each task.

A receipt's images, OCR buffers and line-model tensors are freed when its job ends, but
glibc keeps the freed pages in its heaps, so a pool process's RSS settles at its
high-water mark. `malloc_trim(0)` after each task returns them (what that saves:
docs/performance.md). Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

from celery.signals import task_postrun

log = logging.getLogger(__name__)


def _load_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_malloc_trim = _load_trim()


def release_memory() -> bool:
    """Return freed heap memory to the system; False where that is not possible."""
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True


def connect_celery_signals() -> None:
    task_postrun.connect(after_task, weak=False)


def after_task(**_: object) -> bool:
    """After each task: `release_memory` (what it returns is the signal's response)."""
    return release_memory()

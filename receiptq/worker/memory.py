"""Give a pool process's freed memory back to the system after each task.

A receipt's images, OCR buffers and line-model tensors are freed when its job ends, but
glibc keeps the freed pages in its heaps, so a pool process's RSS settles at its
high-water mark. `malloc_trim(0)` after each task returns them (what that saves:
docs/performance.md). Large allocations get their own mappings (`map_large_allocations`),
so a job's peak is what it holds at once. Elsewhere than glibc both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

from celery.signals import task_postrun

log = logging.getLogger(__name__)


def _load_libc(function: str):
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), function) if name else None
    except (OSError, AttributeError):
        return None


_malloc_trim = _load_libc("malloc_trim")
_mallopt = _load_libc("mallopt")
#: glibc's M_MMAP_THRESHOLD, and the size from which an allocation gets its own mapping.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def map_large_allocations() -> bool:
    """Give every allocation of ``MMAP_THRESHOLD`` or more (an image, a tensor) its own
    mapping, returned to the system when freed. glibc's default raises that threshold to
    the size of the largest block freed so far, so a job's big temporaries pile up in the
    heap until the task ends: the peak inside a job (docs/performance.md#memory)."""
    if _mallopt is None:
        return False
    return bool(_mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_memory() -> bool:
    """Return freed heap memory to the system; False where that is not possible."""
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True


def connect_celery_signals() -> None:
    """In the worker's main process: its pool processes, forked from it, inherit the
    allocator's setting."""
    map_large_allocations()
    task_postrun.connect(after_task, weak=False)


def after_task(**_: object) -> bool:
    """After each task: `release_memory` (what it returns is the signal's response)."""
    return release_memory()

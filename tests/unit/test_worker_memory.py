"""Pool processes give freed memory back after each task."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from celery.signals import task_postrun

from receiptq.config import Settings
from receiptq.worker import memory, signals


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_heap_is_returned_to_the_system():
    def rss_kib() -> int:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0])

    blocks = [bytearray(64 * 1024) for _ in range(4000)]  # ~250 MiB in small heap blocks
    held = rss_kib()
    del blocks[::2]  # every other block freed: the heap cannot shrink from its top
    assert memory.release_memory() is True
    assert rss_kib() < held - 60 * 1024  # most of the freed ~125 MiB went back
    del blocks


def test_the_worker_trims_after_every_task():
    signals.connect(Settings())
    signals.connect(Settings())  # connecting twice wires each receiver once
    responses = task_postrun.send(
        sender=None, task_id="t", task=None, args=(), kwargs={}, retval=None
    )
    trimmed = [response for receiver, response in responses if receiver is memory.after_task]
    # connected once, and it ran (glibc trims; elsewhere there is nothing to call)
    assert trimmed == [platform.libc_ver()[0] == "glibc"]

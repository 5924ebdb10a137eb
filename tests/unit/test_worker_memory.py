"""Pool processes give freed memory back after each task."""

from __future__ import annotations

import platform
import subprocess
import sys
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


_FREED_BLOCKS = """
import ctypes, sys
from pathlib import Path

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]

def rss_kib():
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0])

def block(size):
    address = libc.malloc(size)
    ctypes.memset(address, 1, size)
    return address

if sys.argv[1] == "mapped":  # (importing receiptq.worker sets it up: not imported otherwise)
    from receiptq.worker import memory
    assert memory.map_large_allocations()
libc.free(block(8 << 20))  # glibc's own rule now keeps blocks up to 8 MiB in the heap
blocks = [block(2 << 20) for _ in range(40)]  # 80 MiB, as a job's images and tensors
held = rss_kib()
for address in blocks[:-1]:  # all but the last, which pins the heap's top
    libc.free(address)
print(held - rss_kib())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_large_blocks_freed_in_a_job_go_back_at_once():
    """Without the setting, 2 MiB blocks freed mid-job stay in the heap until a trim; with
    it each had its own mapping and is returned as it is freed."""

    def returned_mib(mode: str) -> float:
        out = subprocess.run([sys.executable, "-c", _FREED_BLOCKS, mode],
                             capture_output=True, text=True, check=True)  # fmt: skip
        return int(out.stdout) / 1024

    assert returned_mib("default") < 20
    assert returned_mib("mapped") > 70

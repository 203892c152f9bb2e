"""The worker's fixed malloc thresholds keep freed large buffers out of its threads' arenas.

Each case runs in a fresh interpreter (the thresholds are process-wide): a thread
frees one large block, as a fan-out's parent frees its COPY buffer, then takes and
frees medium ones. With glibc's adjusting thresholds those stay resident as free
arena memory (what made the soak's worker grow); with the worker's fixed ones they
are mapped and unmapped on their own.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from dramaturg.allocator import fix_malloc_thresholds

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

CHURN = """
import ctypes, sys, threading
from dramaturg.allocator import fix_malloc_thresholds

if sys.argv[1] == "fixed":
    assert fix_malloc_thresholds({}), "no threshold was set"

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2

def churn():
    libc.free(libc.malloc(8 << 20))
    blocks = [libc.malloc(1 << 20) for _ in range(12)]
    for block in blocks:
        libc.free(block)

thread = threading.Thread(target=churn)
thread.start()
thread.join()
print(libc.mallinfo2().fordblks)
"""


def _free_bytes_after_churn(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}  # glibc's own defaults
    out = subprocess.run([sys.executable, "-c", CHURN, mode], capture_output=True, text=True, check=True, env=env)
    return int(out.stdout)


def test_freed_medium_blocks_are_returned_with_fixed_thresholds():
    assert _free_bytes_after_churn("fixed") < 4 << 20


def test_without_them_glibc_keeps_the_freed_blocks_resident():
    # The control: the case above would fail without fix_malloc_thresholds.
    assert _free_bytes_after_churn("default") >= 8 << 20


def test_thresholds_given_in_the_environment_are_left_alone():
    given = {"MALLOC_MMAP_THRESHOLD_": "1048576", "MALLOC_TRIM_THRESHOLD_": "1048576"}
    assert fix_malloc_thresholds(given) == []

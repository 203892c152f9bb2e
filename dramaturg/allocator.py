"""Fixed glibc malloc thresholds for the worker process.

glibc raises its mmap threshold to the size of the largest mapped block freed so
far (up to 32 MB) and its trim threshold to twice that. Once a fan-out's parent
has freed its COPY buffers (several MB), later large buffers come from the
per-thread arenas instead of their own mappings, and each arena keeps up to that
much free memory resident: the worker's RSS rose with every fan-out while the
memory in use stayed flat (bench/NOTES.md, "Worker RSS in the soak"). Setting
both thresholds turns that adjustment off, as glibc documents: a large block is
mapped and unmapped on its own, and an arena's free top goes back to the system.

A threshold already given in the environment (``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``) is the operator's and is left as it is; on a libc
other than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping

#: mallopt parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's own starting values: blocks from 128 KiB are mapped; free tops above 128 KiB are trimmed.
THRESHOLDS = {
    "MALLOC_TRIM_THRESHOLD_": (M_TRIM_THRESHOLD, 128 * 1024),
    "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, 128 * 1024),
}


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt") else None


def fix_malloc_thresholds(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Set glibc's mmap and trim thresholds, except those the environment sets; returns the ones set."""
    libc = _glibc()
    if libc is None:
        return []
    done = []
    for variable, (param, value) in THRESHOLDS.items():
        if variable not in environ and libc.mallopt(ctypes.c_int(param), ctypes.c_int(value)) == 1:
            done.append(variable)
    return done

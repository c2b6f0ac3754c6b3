"""Give memory freed by large temporary arrays back to the operating system.

glibc raises its mmap threshold each time a large block is freed, so after a generation that
allocated and dropped many arrays of tens of megabytes, those blocks sit in the heap, counted in
the process's resident size but unused: Python strings built afterwards come from their own
arenas and do not reuse them. ``malloc_trim`` returns them. On other C libraries this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def release_free_memory(collect: bool = True) -> None:
    """Ask the C allocator to return free heap pages (glibc only), after a garbage collection
    unless ``collect`` is false."""
    if collect:
        gc.collect()
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)

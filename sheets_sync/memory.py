"""Give memory freed by large temporary arrays back to the operating system.

glibc raises its mmap threshold each time a large block is freed, so after a generation that
allocated and dropped many arrays of tens of megabytes, those blocks sit in the heap, counted in
the process's resident size but unused: Python strings built afterwards come from their own
arenas and do not reuse them. ``malloc_trim`` returns them (on other C libraries it is a no-op),
and Arrow's memory pool is asked to return the pages it keeps.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os

import pyarrow as pa


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def release_free_memory(collect: bool = True, generation: int = 2) -> None:
    """Ask the C allocator to return free heap pages (glibc only), after a garbage collection
    of generations up to ``generation`` (all of them by default) unless ``collect`` is false.

    A full collection walks every object of the process (a tenth of a second or more in a large
    one); ``generation=1`` only the recently made ones, enough after a step whose garbage is new.
    """
    if collect:
        gc.collect(generation)
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)
    # Arrow (the id and text columns) allocates from its own pool, which keeps freed pages.
    pa.default_memory_pool().release_unused()


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
LARGE_BLOCK = 1 << 20  # 1 MiB: a million-row column of one-byte codes


def map_large_blocks(threshold: int = LARGE_BLOCK) -> None:
    """Have glibc serve every allocation of ``threshold`` bytes or more (a column of a large
    table, a temporary array of a query) with a mapping of its own, returned to the system as
    soon as it is freed, unless ``MALLOC_MMAP_THRESHOLD_`` says otherwise.

    By default glibc raises that threshold each time such a block is freed, up to 32 MiB, so
    after the first large temporaries the next ones come from the heap and stay resident once
    freed: building the nine bundled templates at 1M deals then held 300 MB more at its peak.
    A fixed threshold turns that adaptation off. No-op on other C libraries.
    """
    if os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        return
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, threshold)


def use_system_allocator_for_arrow() -> None:
    """Make Arrow allocate with the C library's ``malloc`` unless ``ARROW_DEFAULT_MEMORY_POOL``
    says otherwise.

    Arrow's bundled allocators keep freed pages for reuse, so after a large refresh the process
    stays as big as its peak; with ``malloc``, :func:`release_free_memory` gives those pages back
    (measured at 100k demo deals: 420 MiB resident after the read against 473 with mimalloc).
    """
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())

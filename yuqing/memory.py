"""Keeping a process that runs for months at a steady size (glibc's allocator only).

glibc's malloc gives threads arenas of their own, up to eight per core, so that they do not
wait on one lock. Memory freed in an arena stays there for reuse, so every arena settles at the
peak of whatever its threads did: with the scheduler's job threads, HTTP clients and worker
hand-off threads each touching several arenas, the resident size creeps up for hours without
anything being leaked (``bench/soak.py`` measured it). Two arenas are plenty for a process that
spends its time waiting on the network and the database; the CPU-bound work runs in worker
processes.

What a job frees still stays with the process, as holes between the blocks still in use that
``free`` alone cannot hand back; a job that churns through thousands of posts leaves many.
``malloc_trim`` returns the whole free pages among them to the system, so the scheduler calls
:func:`release_free_memory` after its heaviest jobs. It frees nothing in use: a real leak would
still show.

Elsewhere (musl, macOS, Windows) there is no such knob, and these calls do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

#: glibc's mallopt parameter for the most arenas (malloc.h: M_ARENA_MAX)
_M_ARENA_MAX = -8
#: arenas for a long-running process: the main thread's and one shared by all other threads
ARENAS = 2


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap the allocator's arenas, before the threads that would make more are started (an
    arena once made stays). Whether the cap was set: False where the allocator is not glibc's."""
    libc = _glibc()
    if libc is None:
        return False
    done = bool(libc.mallopt(_M_ARENA_MAX, arenas))
    if not done:
        log.warning("could not cap malloc arenas at %d; memory may creep up over days", arenas)
    return done


def release_free_memory() -> bool:
    """Hand the free pages of every arena back to the system (``malloc_trim(0)``). Whether any
    was handed back; False also where the allocator is not glibc's."""
    libc = _glibc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    return bool(libc.malloc_trim(0))

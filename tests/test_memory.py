"""The allocator's arena cap, observed in fresh processes through glibc's own malloc_info."""

import re
import subprocess
import sys

import pytest

from yuqing.memory import _glibc

PROBE = """
import ctypes, sys, threading
from yuqing.memory import limit_arenas
if sys.argv[1] == "capped":
    assert limit_arenas()
gate = threading.Barrier(8)
def allocate():
    gate.wait()  # all at once, so that they contend for arenas
    for _ in range(2000):
        kept = [bytearray(1000) for _ in range(50)]  # above Python's small-object size: malloc
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
out = libc.fopen(sys.argv[2].encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(out))
libc.fclose(ctypes.c_void_p(out))
"""


def arenas(tmp_path, mode: str) -> int:
    info = tmp_path / f"{mode}.xml"
    subprocess.run([sys.executable, "-c", PROBE, mode, str(info)], check=True, timeout=60)
    return len(re.findall(r"<heap nr=", info.read_text()))


@pytest.mark.skipif(_glibc() is None, reason="the arena cap is glibc's; this C library has none")
def test_eight_busy_threads_share_two_arenas_once_capped(tmp_path):
    assert arenas(tmp_path, "free") > 2
    assert arenas(tmp_path, "capped") == 2


TRIM_PROBE = """
import sys
from yuqing.memory import release_free_memory
def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) / 1024
blocks = [bytearray(1000) for _ in range(200_000)]  # each its own malloc, above pymalloc's size
kept = blocks[::50]  # one block in fifty stays in use and pins the heap around it
del blocks
before = rss_mb()
trimmed = release_free_memory() if sys.argv[1] == "trim" else False
print(before, rss_mb(), trimmed)
"""


def resident(mode: str) -> tuple[float, float, bool]:
    out = subprocess.run(
        [sys.executable, "-c", TRIM_PROBE, mode], check=True, timeout=60, capture_output=True
    ).stdout.split()
    return float(out[0]), float(out[1]), out[2] == b"True"


@pytest.mark.skipif(_glibc() is None, reason="malloc_trim is glibc's; this C library has none")
def test_freed_pages_between_blocks_in_use_go_back_to_the_system_only_when_trimmed():
    before, after, trimmed = resident("keep")
    assert not trimmed and after > before - 20  # free() alone keeps the holes
    before, after, trimmed = resident("trim")
    assert trimmed and after < before - 100  # ~190 MB of holes handed back

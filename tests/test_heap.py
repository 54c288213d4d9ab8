"""graph/heap.py: freed heap handed back to the system, on a timer, off when set to 0."""

from __future__ import annotations

import asyncio
import platform

import pytest

from graph.heap import HeapTrimmer


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
async def test_the_trimmer_gives_freed_memory_back_on_its_timer():
    trimmer = HeapTrimmer(0.05)
    assert trimmer.available
    # Freed large blocks leave pages at the top of the heap for the first trim to give back.
    blocks = [bytearray(64 * 1024) for _ in range(2_000)]
    del blocks
    assert trimmer.trim() is True
    trimmer.start()
    for _ in range(200):
        if trimmer.trims >= 3:
            break
        await asyncio.sleep(0.05)
    await trimmer.close()
    assert trimmer.trims >= 3


def test_an_interval_of_zero_turns_it_off():
    trimmer = HeapTrimmer(0)
    assert not trimmer.available
    assert trimmer.trim() is False
    trimmer.start()
    assert trimmer.trims == 0

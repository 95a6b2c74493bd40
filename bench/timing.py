"""Timing and memory helpers shared by the benchmark workloads."""

from __future__ import annotations

import gc
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Seconds per run: the median of ``runs`` runs, and the spread."""

    median: float
    low: float
    high: float
    runs: int


def measure(run: Callable[[], object], repeat: int, *, as_a_loop: bool = False,
            warmup: int = 0) -> Timing:
    """Time ``run`` ``repeat`` times with Python's default garbage-collector settings.

    By default garbage left by one run is collected before the next, so no run pays for its
    predecessor. ``as_a_loop`` runs back to back, as a training loop does: then each step also
    pays for the garbage the steps before it left (micrograd's reference cycles), which is what
    a user sees. ``warmup`` runs first, untimed, to reach that steady state.
    """
    for _ in range(warmup):
        run()
    seconds = []
    for _ in range(repeat):
        if not as_a_loop:
            gc.collect()
        start = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - start)
        del result
    gc.collect()
    return Timing(statistics.median(seconds), min(seconds), max(seconds), repeat)


def bytes_retained(build: Callable[[], T]) -> tuple[int, T]:
    """Bytes of memory still allocated once ``build()`` has returned its result (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = build()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, result


def with_deep_recursion(run: Callable[[], T], limit: int) -> T:
    """Run ``run`` with the recursion limit raised, in a thread with a large C stack.

    micrograd's recursive topological sort needs this past ~500 steps of a chain; glassgrad is
    never run through it.
    """
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(limit)
        try:
            results.append(run())
        except BaseException as error:  # handed to the caller's thread
            errors.append(error)
        finally:
            sys.setrecursionlimit(old)

    old_size = threading.stack_size(512 * 1024 * 1024)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_size)
    if errors:
        raise errors[0]
    return results[0]

"""A progress bar on stderr for work that takes over a second (quick work prints nothing)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

#: Work shorter than this shows no bar.
QUIET_FOR = 1.0

BAR_WIDTH = 24


class Progress:
    """``done`` of ``total`` units of ``label``, redrawn on one line of ``stream``.

    Nothing is written during the first ``quiet_for`` seconds; after that the bar is redrawn
    on each ``advance`` and, while ``waiting``, every half second (dot runs as one call, so its
    bar shows the time spent).
    """

    def __init__(self, label: str, total: int, *, stream: TextIO | None = None,
                 quiet_for: float = QUIET_FOR) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.quiet_for = quiet_for
        self.started = time.perf_counter()
        self.shown = False
        self.lock = threading.Lock()

    def advance(self, units: int = 1, label: str | None = None) -> None:
        """Count ``units`` more done (and name the work from here on ``label``)."""
        with self.lock:
            self.done = min(self.total, self.done + units)
            if label is not None:
                self.label = label
            self._draw()

    @contextmanager
    def waiting(self, label: str, units: int = 1) -> Iterator[None]:
        """Show ``label`` with a running clock while the block runs, then count ``units``."""
        stop = threading.Event()
        with self.lock:
            self.label = label
            self._draw()

        def tick() -> None:
            while not stop.wait(0.5):
                with self.lock:
                    self._draw()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
            self.advance(units)

    def close(self) -> None:
        """End the bar's line, if a bar was shown."""
        with self.lock:
            if self.shown:
                self.done = self.total
                self._draw()
                self.stream.write("\n")
                self.stream.flush()

    def _draw(self) -> None:
        elapsed = time.perf_counter() - self.started
        if elapsed < self.quiet_for:
            return
        filled = round(BAR_WIDTH * self.done / self.total)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        line = f"\r[{bar}] {self.done}/{self.total} {self.label} ({elapsed:.1f} s)"
        self.stream.write(line + "\x1b[K")
        self.stream.flush()
        self.shown = True

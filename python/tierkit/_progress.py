"""Progress on stderr for long command-line jobs.

Stage lines ("tierkit: read N rows of FILE (T s)", with the time since the job started) go
to stderr so that stdout stays the result a scheduler may parse; on a terminal a bar with
percentages is redrawn in place (at most five times a second), elsewhere (logs) only the
stage lines are written.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, enabled: bool = True, stream: TextIO | None = None, bar: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.bar = enabled and (bar if bar is not None else _is_tty(self.stream))
        self._started = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False

    def stage(self, message: str) -> None:
        """A finished step, with the time since the job started."""
        if not self.enabled:
            return
        self._clear()
        print(f"tierkit: {message} ({time.perf_counter() - self._started:.1f} s)",
              file=self.stream, flush=True)

    def update(self, label: str, done: int, total: int) -> None:
        """Redraws the bar of a step `done` of `total` units (bytes, rows) through."""
        if not self.bar or total <= 0:
            return
        now = time.perf_counter()
        if now - self._last_draw < 0.2 and done < total:
            return
        self._last_draw = now
        share = min(1.0, done / total)
        filled = int(share * 30)
        self.stream.write(f"\rtierkit: {label} [{'#' * filled}{'.' * (30 - filled)}] {share:6.1%}")
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 60 + "\r")
            self._drawn = False


def _is_tty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

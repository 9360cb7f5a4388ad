"""A progress bar on standard error for bulk runs, fed by the runner's ``on_progress``.

On a terminal it redraws one line in place (carriage return and padding, no escape codes) at
most ten times a second. When standard error is not a terminal (a log file, a CI job) it writes
a plain line every few seconds instead, so logs stay readable. The last state is always written
when the bar is closed.

Imports the public ``Progress`` record only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO

from .._bulk import Progress

__all__ = ["ProgressBar"]

_WIDTH = 24


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


class ProgressBar:
    """Draws :class:`Progress` updates for one labelled bulk run.

    Args:
        stream: Where to draw (standard error).
        label: What is running (``"cancel"``).
        tty: Redraw in place; defaults to ``stream.isatty()``.
        interval: Least seconds between two draws (default 0.1 on a terminal, 5 otherwise).
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        stream: IO[str],
        label: str,
        *,
        tty: bool | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if tty is None:
            isatty = getattr(stream, "isatty", None)
            tty = bool(isatty()) if isatty is not None else False
        self._stream = stream
        self._label = label
        self._tty = tty
        self._interval = interval if interval is not None else (0.1 if tty else 5.0)
        self._clock = clock
        self._last_draw = clock()
        self._last: Progress | None = None
        self._drawn_width = 0
        self._closed = False

    def __call__(self, progress: Progress) -> None:
        """Take one update; draw it if enough time passed since the last draw."""
        self._last = progress
        now = self._clock()
        if now - self._last_draw >= self._interval:
            self._last_draw = now
            self._draw(progress, final=False)

    def close(self) -> None:
        """Draw the last state (and end the line on a terminal). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._last is not None:
            self._draw(self._last, final=True)

    def note(self, text: str) -> None:
        """Write a line of text above the bar (the bar is redrawn below it on a terminal)."""
        if self._tty and self._drawn_width:
            self._stream.write("\r" + " " * self._drawn_width + "\r" + text + "\n")
            self._drawn_width = 0
            if self._last is not None and not self._closed:
                self._draw(self._last, final=False)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def render(self, progress: Progress) -> str:
        """The text of one update (without line ending)."""
        parts = [self._label]
        fraction = progress.fraction
        if fraction is not None and progress.total is not None:
            filled = int(fraction * _WIDTH)
            parts.append("[" + "#" * filled + "." * (_WIDTH - filled) + "]")
            parts.append(f"{progress.done}/{progress.total} {fraction:4.0%}")
        else:
            parts.append(f"{progress.done} done")
        if progress.failed:
            parts.append(f"{progress.failed} failed")
        parts.append(f"{progress.rate:.1f}/s")
        if progress.total is not None and progress.rate > 0 and progress.done < progress.total:
            parts.append(f"eta {_duration((progress.total - progress.done) / progress.rate)}")
        parts.append(_duration(progress.elapsed))
        return "  ".join(parts)

    def _draw(self, progress: Progress, *, final: bool) -> None:
        text = self.render(progress)
        if self._tty:
            padding = " " * max(0, self._drawn_width - len(text))
            self._drawn_width = len(text)
            self._stream.write("\r" + text + padding + ("\n" if final else ""))
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

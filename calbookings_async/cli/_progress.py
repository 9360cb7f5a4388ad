"""The progress of a bulk run on standard error, fed by the runner and redrawn on a timer.

:class:`BulkProgress` takes the runner's ``on_progress`` updates and also wakes on a timer of its
own, so the display moves while nothing finishes: while the pacer holds requests it says so
("waiting for the rate limit (window full: 120 of 120 used), resumes in 41 s"), and the rate and
ETA keep falling as the wait goes on. The rate is counted over a sliding window of the last
minute (one Cal.com rate-limit window), so a paced run's bursts and holds average out instead
of swinging the ETA between seconds and hours.

On a terminal it draws a ``rich.progress`` bar redrawn in place ten times a second; lines
written meanwhile (failures, log records) appear above it. When standard error is not a
terminal (a log file, a CI job) it writes a plain line every few seconds instead, waits
included, with no escape codes. Closing it writes the state as of that moment (after Ctrl+C too).

:func:`pacer_report` is the one place that reads a pacer's statistics.

Imports ``rich``, ``attrs`` and the public ``Progress`` record only.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import IO, Protocol, runtime_checkable

import attrs
from rich.console import Console
from rich.progress import BarColumn, TaskID, TextColumn
from rich.progress import Progress as RichProgress

from .._bulk import Progress

__all__ = ["BulkProgress", "PacerReport", "duration", "pacer_report"]

_WIDTH = 24
#: Seconds of history the rate is counted over: one Cal.com rate-limit window.
RATE_WINDOW = 60.0


@attrs.frozen(kw_only=True)
class PacerReport:
    """What the progress display and the demo show of a pacer.

    Attributes:
        waiting: Requests the pacer holds right now.
        wait_reason: Why it holds them (``"window full: 120 of 120 used"``), if it says.
        resumes_in: Seconds until it expects to let the next request go, if it knows.
        held: Requests held back so far.
        longest_hold: The longest any request was held, in seconds.
    """

    waiting: int
    wait_reason: str | None
    resumes_in: float | None
    held: int
    longest_hold: float


@runtime_checkable
class _WaitStats(Protocol):
    waiting: int
    wait_reason: str | None
    resumes_in: float | None
    held: int
    longest_hold: float


@runtime_checkable
class _HasStats(Protocol):
    @property
    def stats(self) -> object: ...


def pacer_report(pacer: object) -> PacerReport | None:
    """What ``pacer`` reports of its waits, or ``None`` (no pacer, or one that does not say).

    A pacer reports through its ``stats`` (a ``PacingStats``): ``waiting``, ``wait_reason``,
    ``resumes_in``, ``held`` and ``longest_hold``. A custom pacer without them shows no
    waiting state.
    """
    if not isinstance(pacer, _HasStats):
        return None
    stats = pacer.stats
    if not isinstance(stats, _WaitStats):
        return None
    return PacerReport(
        waiting=stats.waiting,
        wait_reason=stats.wait_reason,
        resumes_in=stats.resumes_in,
        held=stats.held,
        longest_hold=stats.longest_hold,
    )


def duration(seconds: float) -> str:
    """``41s``, ``6m55s``, ``1h02m``: a short duration for a progress line."""
    seconds = max(0, round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


def _waiting_text(report: PacerReport) -> str:
    text = "waiting for the rate limit"
    if report.wait_reason:
        text += f" ({report.wait_reason})"
    if report.resumes_in is not None:
        text += f", resumes in {duration(report.resumes_in)}"
    return text


class _Rate:
    """Items finished per second over the last :data:`RATE_WINDOW` seconds, waits included."""

    def __init__(self, started: float, window: float) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque([(started, 0)])

    def sample(self, now: float, done: int) -> float:
        samples = self._samples
        samples.append((now, done))
        # Keep the newest sample at or before the window's start, so the span is a full window.
        while len(samples) > 2 and samples[1][0] <= now - self._window:
            samples.popleft()
        then, done_then = samples[0]
        return (done - done_then) / (now - then) if now > then else 0.0


class BulkProgress:
    """Shows one labelled bulk run on standard error; pass it as ``on_progress``.

    Use it as an async context manager around the run: entering starts the timer (and the
    bar on a terminal), leaving draws the last state::

        async with BulkProgress("cancel", pacer=lambda: pacer_report(cal.pacer)) as shown:
            async with cal.bulk(uids, cancel, on_progress=shown) as run: ...

    Args:
        label: What is running (``"cancel"``).
        total: How many items the run has, when known before the first finishes.
        stream: Where to draw (default: standard error at the time of drawing).
        tty: Draw a live bar; defaults to whether ``stream`` is a terminal.
        pacer: Returns the pacer's state at each redraw (see :func:`pacer_report`).
        clock: Monotonic seconds.
        sleep: Waits between timer ticks (``asyncio.sleep``).
        interval: Seconds between plain lines when not on a terminal (5).
        width: The terminal's width for the bar (default: as detected).
        visible: ``False`` draws nothing (``--quiet``); :meth:`message` still writes.
    """

    #: Seconds between redraws of the live bar.
    TICK = 0.1

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        stream: IO[str] | None = None,
        tty: bool | None = None,
        pacer: Callable[[], PacerReport | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        interval: float = 5.0,
        width: int | None = None,
        visible: bool = True,
    ) -> None:
        self._label = label
        self._stream = stream
        self._visible = visible
        self._tty = visible and (tty if tty is not None else self.stream.isatty())
        self._pacer = pacer
        self._clock = clock
        self._sleep = sleep
        self._interval = interval
        self._started = clock()
        self._rate = _Rate(self._started, RATE_WINDOW)
        self._last = Progress(done=0, failed=0, total=total, rate=0.0, elapsed=0.0)
        self._next_line = self._started + interval
        self._timer: asyncio.Task[None] | None = None
        self._closed = False
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        if self._tty:
            console = Console(file=stream, stderr=stream is None, force_terminal=True, width=width)
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=_WIDTH),
                TextColumn("{task.fields[line]}"),
                console=console,
                auto_refresh=False,
                redirect_stdout=sys.stdout.isatty(),
            )
            self._task = self._bar.add_task(label, total=total, line="")

    @property
    def stream(self) -> IO[str]:
        """The stream drawn on."""
        return self._stream if self._stream is not None else sys.stderr

    # -- feeding ----------------------------------------------------------------------------------

    def __call__(self, progress: Progress) -> None:
        """Take the runner's update; the next tick draws it."""
        self._last = progress

    def tick(self) -> None:
        """Redraw now on a terminal; otherwise write a plain line when one is due."""
        if self._closed:
            return
        now = self._clock()
        text = self.render(final=False, now=now)
        if self._bar is not None:
            self._update_bar(text)
        elif self._visible and now >= self._next_line:
            self._next_line = now + self._interval
            self._write(text)

    async def __aenter__(self) -> BulkProgress:
        if not self._visible:
            return self
        if self._bar is not None:
            self._bar.start()
        self._timer = asyncio.get_running_loop().create_task(self._tick_forever())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _tick_forever(self) -> None:
        step = self.TICK if self._tty else min(1.0, self._interval)
        while True:
            await self._sleep(step)
            self.tick()

    # -- output -----------------------------------------------------------------------------------

    def message(self, text: str) -> None:
        """Write a line above the bar (or between the plain lines)."""
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            self._write(text)

    async def aclose(self) -> None:
        """Stop the timer and draw the state as of now. Idempotent."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        self.close()

    def close(self) -> None:
        """Draw the state as of now (and end the bar). Idempotent; the timer must be stopped."""
        if self._closed:
            return
        self._closed = True
        text = self.render(final=True, now=self._clock())
        if self._bar is not None:
            self._update_bar(text)
            self._bar.stop()
        elif self._visible:
            self._write(text)

    def render(self, *, final: bool, now: float) -> str:
        """The line for the state at ``now``: bar, counts, rate, ETA or wait, elapsed.

        On a terminal the label and the bar are drawn by ``rich``; this is the rest.
        """
        progress = self._last
        rate = self._rate.sample(now, progress.done)
        parts = [] if self._tty else [self._label, *self._plain_bar(progress)]
        total = progress.total
        if total is not None:
            parts.append(f"{progress.done}/{total} {progress.fraction or 0:4.0%}")
        else:
            parts.append(f"{progress.done} done")
        if progress.failed:
            parts.append(f"{progress.failed} failed")
        parts.append(f"{rate:.1f}/s")
        unfinished = total is not None and progress.done < total
        if unfinished and not final and rate > 0:
            assert total is not None
            parts.append(f"eta {duration((total - progress.done) / rate)}")
        parts.append(duration(now - self._started))
        report = None if final or self._pacer is None else self._pacer()
        if report is not None and report.waiting:
            parts.append(_waiting_text(report))
        return "  ".join(parts)

    def _plain_bar(self, progress: Progress) -> list[str]:
        fraction = progress.fraction
        if fraction is None:
            return []
        filled = int(fraction * _WIDTH)
        return ["[" + "#" * filled + "." * (_WIDTH - filled) + "]"]

    def _update_bar(self, text: str) -> None:
        assert self._bar is not None
        assert self._task is not None
        self._bar.update(self._task, completed=self._last.done, total=self._last.total, line=text)
        self._bar.refresh()

    def _write(self, text: str) -> None:
        stream = self.stream
        stream.write(text + "\n")
        stream.flush()

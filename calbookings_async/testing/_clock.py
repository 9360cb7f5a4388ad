"""The emulator's clock: where its limiter, windows, blocks, token expiry and "now" read time.

:class:`EmulatorClock` is the small protocol a test can give ``CalEmulator(clock=...)``:
``monotonic()`` drives the rate-limit windows and blocks and credential expiry, ``time()`` is the
wall clock of the data (past or upcoming, ``createdAt``, the "meeting in the past" rule, error
timestamps). :data:`SYSTEM_CLOCK` is the real one; :class:`ManualClock` only moves when the test
calls :meth:`ManualClock.advance`, so tests of windows and blocks step through time instead of
sleeping. Stdlib only; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

__all__ = ["SYSTEM_CLOCK", "EmulatorClock", "ManualClock", "SystemClock", "clock_functions"]


@runtime_checkable
class EmulatorClock(Protocol):
    """The two readings the emulator takes from a clock."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary, never decreasing origin (windows, blocks, expiry)."""
        ...

    def time(self) -> float:
        """Seconds since the Unix epoch (the data's "now")."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.time`."""

    __slots__ = ()

    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)

    def __repr__(self) -> str:
        return "SystemClock()"


#: The clock every emulator uses unless given another.
SYSTEM_CLOCK = SystemClock()


class ManualClock:
    """A clock that moves only when told to: both readings advance together.

    Args:
        start: The wall-clock reading to start from (epoch seconds or an aware ``datetime``);
            default: the real time now.
        monotonic: The monotonic reading to start from.

    Example::

        clock = ManualClock(start=datetime(2026, 3, 2, 12, tzinfo=timezone.utc))
        emu = CalEmulator(clock=clock, rate_limit=RateLimit(limit=3))
        ...  # three requests, then a 429
        clock.advance(60)  # the block is over
    """

    __slots__ = ("_monotonic", "_wall")

    def __init__(self, start: float | datetime | None = None, *, monotonic: float = 1000.0) -> None:
        if isinstance(start, datetime):
            if start.tzinfo is None:
                start = start.replace(tzinfo=timezone.utc)
            start = start.timestamp()
        self._wall = float(time.time() if start is None else start)
        self._monotonic = float(monotonic)

    def monotonic(self) -> float:
        """The monotonic reading."""
        return self._monotonic

    def time(self) -> float:
        """The wall-clock reading (epoch seconds)."""
        return self._wall

    def advance(self, seconds: float) -> None:
        """Move both readings forward.

        Raises:
            ValueError: ``seconds`` is negative (a monotonic clock never goes back).
        """
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds!r}")
        self._monotonic += seconds
        self._wall += seconds

    def __repr__(self) -> str:
        return f"ManualClock(start={self._wall!r}, monotonic={self._monotonic!r})"


def clock_functions(
    clock: EmulatorClock | Callable[[], float], wall_clock: Callable[[], float] | None
) -> tuple[Callable[[], float], Callable[[], float]]:
    """The ``(monotonic, wall)`` readers of an emulator's ``clock`` and ``wall_clock`` arguments.

    A plain callable as ``clock`` is a monotonic reader (the emulator's first interface); an
    :class:`EmulatorClock` gives both readings. ``wall_clock``, when given, overrides the wall
    reading either way.

    Raises:
        TypeError: ``clock`` is neither an :class:`EmulatorClock` nor a callable.
    """
    if isinstance(clock, EmulatorClock):
        return clock.monotonic, wall_clock or clock.time
    if callable(clock):
        return clock, wall_clock or time.time
    raise TypeError(
        f"clock must be an EmulatorClock (monotonic() and time()) or a callable, "
        f"got {type(clock).__name__}"
    )

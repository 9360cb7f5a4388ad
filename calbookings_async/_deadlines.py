"""Ends every call that outlives its deadline, with one timer per client instead of one per call.

A call's deadline (``RetryPolicy.deadline``) bounds everything it does: waiting for the rate
limit and for a free slot, every attempt, every wait between attempts, the body read included,
whatever the transport does. A timer per call would cost as much CPU as the rest of the SDK's
work on a request (``asyncio.timeout`` is about 40,000 instructions a call), so a client keeps
one :class:`DeadlineWatch`: calls register the task they run in and their deadline, and one
``loop.call_at`` timer, set for the earliest deadline, cancels the tasks whose deadline has
passed and sets itself for the next. The call, woken by the cancellation, asks :meth:`expired`
and raises a timeout instead.

This module imports nothing from the package.
"""

from __future__ import annotations

import asyncio
import math
import sys

__all__ = ["DeadlineWatch"]


class DeadlineWatch:
    """The deadlines of the calls in flight of one client, watched by a single timer."""

    __slots__ = ("_calls", "_expired", "_handle", "_when")

    def __init__(self) -> None:
        self._calls: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._when = math.inf

    def watch(self, deadline: float) -> asyncio.Task[object] | None:
        """Watch the current task until :meth:`forget`; cancel it at ``deadline`` (loop time).

        Returns:
            The task watched (``None`` outside a task, where nothing can be watched).
        """
        task = asyncio.current_task()
        if task is None:
            return None
        self._calls[task] = deadline
        if deadline < self._when:
            self._set(deadline)
        return task

    def forget(self, task: asyncio.Task[object] | None) -> None:
        """Stop watching ``task`` (its call ended)."""
        if task is not None:
            self._calls.pop(task, None)
            if self._expired:
                self._expired.discard(task)

    def expired(self, task: asyncio.Task[object] | None) -> bool:
        """Whether ``task`` was cancelled by this watch (and by nothing else).

        On Python 3.11 and later the cancellation is taken back (``Task.uncancel``), so that
        ``asyncio.timeout`` and task groups around the call keep counting right; a task that
        was also cancelled by someone else answers ``False`` and stays cancelled.
        """
        if task is None or task not in self._expired:
            return False
        self._expired.discard(task)
        if sys.version_info >= (3, 11):
            return task.uncancel() == 0
        return True  # pragma: no cover - Python 3.10 cannot tell the two apart

    def close(self) -> None:
        """Cancel the timer: a pending ``call_at`` holds this watch (and its client) alive."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._when = math.inf

    def _set(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._when = when
        self._handle = asyncio.get_running_loop().call_at(when, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._when = math.inf
        now = asyncio.get_running_loop().time()
        following = math.inf
        for task, deadline in list(self._calls.items()):
            if deadline <= now:
                del self._calls[task]
                self._expired.add(task)
                task.cancel()
            elif deadline < following:
                following = deadline
        if following < math.inf:
            self._set(following)

    def __repr__(self) -> str:
        return f"DeadlineWatch({len(self._calls)} calls)"

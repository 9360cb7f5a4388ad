"""The concurrency slots of one client: at most ``max_concurrency`` requests in flight.

A counting semaphore whose uncontended acquire never suspends the caller. ``asyncio.Semaphore``
is a coroutine even when a slot is free; on the request hot path
:meth:`ConcurrencySlots.try_acquire` saves that. A released slot is handed straight to the
longest waiter, so waiters are served in the order they came.

This module imports nothing from the package.
"""

from __future__ import annotations

import asyncio
import collections

__all__ = ["ConcurrencySlots"]


class ConcurrencySlots:
    """At most ``size`` holders at once, served first come, first served.

    Args:
        size: How many slots there are.
    """

    __slots__ = ("_free", "_waiters", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_acquire(self) -> bool:
        """Take a slot if one is free right now and nobody waits for one."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting in line for one."""
        if self.try_acquire():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as we were cancelled: pass it on
            raise

    def release(self) -> None:
        """Give a slot back (to the first live waiter, if any)."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    @property
    def free(self) -> int:
        """Slots free right now."""
        return self._free

    @property
    def waiting(self) -> int:
        """Callers waiting for a slot right now."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    def __repr__(self) -> str:
        return f"ConcurrencySlots(free={self._free} of {self.size}, waiting={self.waiting})"

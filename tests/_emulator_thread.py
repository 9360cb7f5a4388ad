"""An emulator serving from a thread with an event loop of its own, for code that runs its own
loop (the command line's ``asyncio.run``, the README's examples): the tests read its state once
that code has returned.
"""

from __future__ import annotations

import asyncio
import threading

from calbookings_async.testing import CalEmulator


class EmulatorThread:
    """A seeded emulator serving from a thread, until stopped.

    Args:
        emulator: The emulator to serve (seed it before :meth:`start`).
        bookings: Bookings to seed first (0: none).
    """

    def __init__(self, emulator: CalEmulator, bookings: int = 0) -> None:
        self.emulator = emulator
        self.summary = self.emulator.seed(bookings=bookings) if bookings else None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self.emulator:
            self._ready.set()
            await self._stop.wait()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def stop(self) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return self.emulator.base_url

    def uids(self, kind: str) -> list[str]:
        assert self.summary is not None
        return list(self.summary.kinds[kind])

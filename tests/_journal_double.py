"""An in-memory journal with the calls a bulk run makes (claim, record, wait), for the bulk
run's unit tests."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass


@dataclass
class Entry:
    state: str
    token: str
    error: str | None = None


@dataclass
class Claim:
    won: bool
    token: str
    previous: Entry | None


class JournalDouble:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self._tokens = itertools.count(1)
        self.fail = False

    async def claim(self, key: str, fingerprint: str, *, lease: float) -> Claim:
        if self.fail:
            raise OSError("journal unavailable")
        await asyncio.sleep(0)
        previous = self.entries.get(key)
        token = str(next(self._tokens))
        self.entries[key] = Entry("claimed", token)
        return Claim(True, token, previous)

    async def record(self, key: str, state: str, *, token: str, error: str | None = None) -> None:
        await asyncio.sleep(0)
        assert self.entries[key].token == token
        self.entries[key] = Entry(state, token, error)

    async def wait(self, key: str, *, timeout: float) -> Entry | None:
        return self.entries.get(key)

    async def aclose(self) -> None:
        pass

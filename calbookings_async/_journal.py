"""The write journal: one entry per key, shared by every process that uses the same store.

An entry says how far a write got: ``claimed`` (somebody is about to send it), ``sent`` (it may
be out), ``done`` (with the answer, to return again without sending), ``failed`` (a definite
failure: nothing was applied) or ``uncertain`` (the write may have been applied). It also holds
the request's fingerprint (so one key cannot stand for two different requests), the claimant and
its lease, and a small note the write's read-back needs later (the host before a reassignment).

Two users share it: ``idempotency_key=`` on the SDK's unsafe writes (``_idempotency``) and the
bulk runner's resume (``_bulk``, under keys ``bulk:<item key>``); one journal can hold both.

Entries live on a :class:`~calbookings_async._stores.Store` and change only through its one
atomic step, so claiming is atomic across processes and machines: of two claimants of a free
key exactly one wins, and the other waits for the outcome (:meth:`StoreJournal.wait`). A
claimant that dies lets its entry go when its lease runs out, in the store's clock (on this
machine at once, when its process is gone). Entries expire ``retention`` seconds after their
last change.

Three journals: :class:`MemoryJournal` (one process, tests), :class:`SQLiteJournal` (every
process of one machine: a SQLite file kept across reboots) and ``RedisJournal`` (every machine:
``calbookings_async.redis``). Another store gives another journal: ``StoreJournal(store)``.

Imports ``_stores`` and ``_errors``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from typing import Protocol

import attrs
import orjson

from ._errors import CalError, InvalidArgumentError
from ._stores import KEEP, MemoryStore, SQLiteStore, Store, _Marker

__all__ = [
    "IN_FLIGHT",
    "LEASE",
    "RETENTION",
    "Journal",
    "JournalBusyError",
    "JournalClaim",
    "JournalEntry",
    "MemoryJournal",
    "SQLiteJournal",
    "StoreJournal",
]

#: How long a claimant holds an entry before another may take it over (seconds; renewed by each
#: record). A claimant that dies holding it lets it go when this runs out.
LEASE = 300.0
#: How long entries are kept after their last change, by default (seconds): a week.
RETENTION = 7 * 24 * 3600.0
#: The states of an entry whose claimant did not see the write's outcome.
IN_FLIGHT = frozenset({"claimed", "sent", "uncertain"})
#: States a claimant may record.
STATES = frozenset({"claimed", "sent", "done", "failed", "uncertain"})
#: The format of an entry; an entry of another format is refused, never misread.
ENTRY_VERSION = 1
#: Seconds between two looks at an entry another claimant holds.
WAIT_STEP = 0.05


@attrs.frozen
class JournalEntry:
    """One key's entry.

    Attributes:
        state: ``claimed``, ``sent``, ``done``, ``failed`` or ``uncertain``.
        owner: Who holds (or last held) it: ``host:pid:run:claim``.
        until: When the holder's lease runs out (store time).
        error: A definite failure's message (``failed``).
        fingerprint: What the key stands for (a digest of the request).
        result: The answer recorded with ``done`` (JSON text), or ``None``.
        note: What the write's read-back needs (JSON text), or ``None``.
    """

    state: str
    owner: str = ""
    until: float = 0.0
    error: str | None = None
    fingerprint: str = ""
    result: str | None = None
    note: str | None = None


@attrs.frozen
class JournalClaim:
    """What :meth:`Journal.claim` answered.

    Attributes:
        won: Whether the caller holds the entry now.
        token: The proof of holding it, for :meth:`Journal.record` (empty when not won).
        previous: The entry as it was before the claim (``None``: the key was new).
    """

    won: bool
    token: str
    previous: JournalEntry | None


class Journal(Protocol):
    """What the SDK needs of a journal (see the module docstring for the states)."""

    async def claim(self, key: str, fingerprint: str, *, lease: float) -> JournalClaim:
        """Take the entry at ``key``, unless it is ``done``, held by a live claimant, or
        recorded for another ``fingerprint``; say what it was."""
        ...

    async def record(
        self,
        key: str,
        state: str,
        *,
        token: str,
        error: str | None = None,
        result: str | None = None,
        note: str | None = None,
    ) -> None:
        """Record a state of the entry the caller holds (``token``), renewing its lease. A
        ``note`` given replaces the entry's; otherwise the entry keeps it."""
        ...

    async def wait(self, key: str, *, timeout: float) -> JournalEntry | None:
        """The entry once nobody holds it, or as it is after ``timeout`` seconds."""
        ...

    async def aclose(self) -> None:
        """Release the journal's store."""
        ...


class JournalBusyError(CalError):
    """Another claimant held the key's entry past the wait: this call sent nothing.

    Attributes:
        key: The journal key.
    """

    def __init__(self, key: str) -> None:
        super().__init__(f"journal entry {key!r} is held by another claimant; nothing was sent")
        self.key = key


class StoreJournal:
    """A :class:`Journal` on a :class:`~calbookings_async._stores.Store`.

    Claiming is one atomic step of the store: an entry that is absent, ``failed``,
    ``uncertain``, or held by a claimant whose lease ran out (or, on this machine, whose
    process is gone) is taken; a ``done`` entry, one a live claimant holds and one recorded
    for another fingerprint are left as they are.

    Args:
        store: Where the entries live.
        retention: Seconds an entry is kept after its last change (default: 7 days).

    Raises:
        InvalidArgumentError: ``retention`` is not a positive number of seconds.
    """

    def __init__(self, store: Store, *, retention: float = RETENTION) -> None:
        if (
            isinstance(retention, bool)
            or not isinstance(retention, (int, float))
            or not retention > 0
        ):
            raise InvalidArgumentError(
                "retention", f"expected a positive number of seconds, got {retention!r}"
            )
        self._store = store
        self._retention = float(retention)
        self._me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._store!r})"

    async def claim(self, key: str, fingerprint: str, *, lease: float = LEASE) -> JournalClaim:
        """See :meth:`Journal.claim`."""
        token = f"{self._me}:{uuid.uuid4().hex[:8]}"

        def update(record: bytes | None, now: float) -> tuple[bytes | _Marker, JournalClaim]:
            previous = None if record is None else _entry(key, record)
            if previous is not None and (
                previous.state == "done"
                or (previous.fingerprint and previous.fingerprint != fingerprint)
                or (previous.state in ("claimed", "sent") and previous.until > now
                    and _alive(previous.owner))
            ):  # fmt: skip
                return KEEP, JournalClaim(False, "", previous)
            # The note (what the read-back needs) outlives a takeover: it describes the first
            # attempt, which is what a read-back must compare with.
            note = None if previous is None else previous.note
            entry = JournalEntry("claimed", token, now + lease, None, fingerprint, None, note)
            return _dump(entry), JournalClaim(True, token, previous)

        return await self._store.transact(key, update, ttl=self._retention)

    async def record(
        self,
        key: str,
        state: str,
        *,
        token: str,
        error: str | None = None,
        result: str | None = None,
        note: str | None = None,
    ) -> None:
        """See :meth:`Journal.record`. Nothing changes when another claimant took the entry
        over since (its record stands)."""
        if state not in STATES:
            raise InvalidArgumentError("state", f"expected one of {sorted(STATES)}, got {state!r}")

        def update(record: bytes | None, now: float) -> tuple[bytes | _Marker, None]:
            current = None if record is None else _entry(key, record)
            if current is not None and current.owner != token:
                return KEEP, None
            kept = JournalEntry("claimed") if current is None else current
            entry = JournalEntry(
                state,
                token,
                now + LEASE,
                error,
                kept.fingerprint,
                result,
                kept.note if note is None else note,
            )
            return _dump(entry), None

        await self._store.transact(key, update, ttl=self._retention)

    async def wait(self, key: str, *, timeout: float) -> JournalEntry | None:
        """See :meth:`Journal.wait` (looks every 50 ms)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            entry = await self._store.transact(
                key, lambda record, now: (KEEP, None if record is None else _entry(key, record))
            )
            if entry is None or entry.state not in ("claimed", "sent"):
                return entry
            if loop.time() >= deadline:
                return entry
            await asyncio.sleep(WAIT_STEP)

    async def get(self, key: str) -> JournalEntry | None:
        """The entry at ``key`` as it is now (``None``: absent or expired)."""
        return await self._store.transact(
            key, lambda record, now: (KEEP, None if record is None else _entry(key, record))
        )

    async def aclose(self) -> None:
        """Close the store."""
        await self._store.aclose()

    async def __aenter__(self) -> StoreJournal:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class MemoryJournal(StoreJournal):
    """A journal in this process's memory: for tests, and for one process that needs no
    record past its own life (it still makes concurrent calls with one key send once).

    Args:
        retention: Seconds an entry is kept after its last change (default: 7 days).
    """

    def __init__(self, *, retention: float = RETENTION) -> None:
        super().__init__(MemoryStore(), retention=retention)


class SQLiteJournal(StoreJournal):
    """A journal in a SQLite file: every process of this machine shares it, and its entries
    outlive crashes and reboots (standard library ``sqlite3``, run in a worker thread so the
    event loop never waits on the file).

    Args:
        path: The database file (created with its directory when missing). Give the journal a
            file of its own (not the file of a :class:`~calbookings_async.FilePacer`).
        retention: Seconds an entry is kept after its last change (default: 7 days).

    Raises:
        InvalidArgumentError: ``path`` is not a path or its directory cannot be created
            (names ``path``); a file that cannot be opened as a database is reported at the
            first call, naming the file, before anything is sent.
    """

    def __init__(self, path: str | os.PathLike[str], *, retention: float = RETENTION) -> None:
        super().__init__(SQLiteStore(path, durable=True), retention=retention)


def _dump(entry: JournalEntry) -> bytes:
    record = {
        "v": ENTRY_VERSION,
        "state": entry.state,
        "owner": entry.owner,
        "until": entry.until,
        "error": entry.error,
        "fp": entry.fingerprint,
        "result": entry.result,
        "note": entry.note,
    }
    return orjson.dumps(record)


def _entry(key: str, record: bytes) -> JournalEntry:
    """An entry read back; one of another format is refused with an error naming the key."""
    try:
        data = orjson.loads(record)
        if data.get("v") != ENTRY_VERSION:
            raise ValueError(f"format {data.get('v')!r}, this SDK reads {ENTRY_VERSION}")
        return JournalEntry(
            data["state"],
            data["owner"],
            float(data["until"]),
            data.get("error"),
            data.get("fp") or "",
            data.get("result"),
            data.get("note"),
        )
    except (orjson.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError) as problem:
        raise InvalidArgumentError(
            "journal", f"entry {key!r} cannot be read ({problem}): written by another version?"
        ) from None


def _alive(owner: str) -> bool:
    """Whether the process that holds an entry may still run (on another machine: assume so)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True

"""Shared state for several processes: a small key-value store with one atomic step and one clock.

A *store* holds a few small records (bytes) by key and offers exactly one way to change them:
:meth:`Store.transact` reads a record, lets a pure function compute the new record from it and
from the store's own clock, and writes the result, atomically with respect to every other
process using the same store. Everything the SDK shares between processes is built on that
step: the shared rate budget (``_shared_pacer``) today, a write journal tomorrow.

Three stores implement the seam (:class:`MemoryStore`, for one process and tests, besides):

* :class:`SQLiteStore`: one SQLite file (standard library), for every process of one machine.
  WAL mode, one short ``BEGIN IMMEDIATE`` transaction per step, run in a worker thread so the
  event loop never blocks on the file. Its clock is :func:`time.monotonic`, which on Linux is
  ``CLOCK_MONOTONIC``: one clock for every process of the machine (on macOS likewise). Times in
  the file mean nothing after a reboot, so the file remembers the boot it was written in and
  forgets its records when that changes. Processes in different time namespaces (some
  containers) do not share one monotonic clock: give them a Redis store instead.
* :class:`RedisStore`: one Redis (or Valkey) for many machines, through any client with the
  ``redis.asyncio`` API (``register_script``). A step is optimistic: the record last seen is
  kept, the function runs on it, and one Lua script writes the result only if nobody changed
  the record since (comparing a version number), reading ``TIME`` as the clock. When somebody
  did, the script answers with the current record and the step runs again: one round trip
  usually, two under contention. Every key of one namespace shares one hash tag, so Redis
  Cluster keeps them on one shard.

How a user of the seam works (the shared pacer does exactly this; a write journal would too):

* The record is the user's own bytes (JSON, say). The function given to ``transact`` gets the
  current record (``None`` when absent or expired) and the store's time in seconds, and
  returns ``(new_record, result)``: ``new_record`` is bytes to write, :data:`DELETE` to remove
  the record, or :data:`KEEP` to leave it. It must be pure: it may run more than once (Redis
  reruns it after a lost race), and only the run whose write landed counts.
* Expiry: ``ttl`` (seconds) makes the record vanish that long after the last write; readers see
  an expired record as absent.
* Time: only the store's clock is used for absolute times inside records. A process sends
  durations ("this ends in 3.2 s"), never its own timestamps, so a process whose clock is off
  changes nothing.

A write journal (idempotency keys) on this seam:

* **Claim** a key atomically: ``transact("journal:<key>", claim)`` where ``claim(record, now)``
  writes ``{"state": "claimed", "owner": me, "lease_until": now + lease}`` when ``record`` is
  ``None`` or its lease has run out, and otherwise keeps it and returns who holds it. Exactly
  one claimant wins; the others wait for the outcome instead of sending.
* **Record and lease**: each state change (``sent``, ``done`` with the result, ``failed``) is
  another ``transact`` that checks the owner and extends ``lease_until``; a crashed claimant's
  lease runs out in store time, and the next claimant finds the entry ``sent`` and reconciles it
  with the server before sending anything.
* **Expiry**: ``ttl`` on every write, so finished entries disappear after the retention period.

Imports only ``_errors`` and ``_types``; never imports the ``redis`` package (a client is given).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar

from ._errors import CalError, InvalidArgumentError

__all__ = [
    "DELETE",
    "KEEP",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "Store",
    "StoreUnavailable",
    "Update",
]

R = TypeVar("R")

_timeout: Any = getattr(asyncio, "timeout", None)


class _Marker:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: Returned by an update function as the new record: leave the record as it is.
KEEP: Final = _Marker("KEEP")
#: Returned by an update function as the new record: remove the record.
DELETE: Final = _Marker("DELETE")

#: An update function: ``(current record or None, store time) -> (new record, result)``; the
#: time is a :class:`StoreTime` (a float: the earliest the store's clock can read).
Update = Callable[[bytes | None, float], tuple["bytes | _Marker", R]]


class StoreTime(float):
    """The store's time during a step: the earliest it can be (the float itself) and the
    latest (:attr:`latest`).

    A store that reads its clock inside the step (SQLite) knows it exactly (both equal). One
    whose clock is read over the network (Redis) knows it within a round trip: compare with the
    earliest ("has the lease run out?" errs towards no) and stamp instants from durations with
    the latest ("the lease ends in 30 s" errs late).
    """

    __slots__ = ("latest",)

    def __new__(cls, earliest: float, latest: float | None = None) -> StoreTime:
        value = super().__new__(cls, earliest)
        value.latest = earliest if latest is None else max(latest, earliest)
        return value

    latest: float


class StoreUnavailable(CalError):
    """The store could not be reached or did not answer in time (the step may be tried again).

    Attributes:
        store: A short description of the store (its path or address, never a password).
    """

    def __init__(self, store: str, problem: str) -> None:
        self.store = store
        self.problem = problem
        super().__init__(f"{store}: {problem}")


class Store(Protocol):
    """What the shared pacer (and a write journal) needs of a store. See the module docstring."""

    async def transact(self, key: str, update: Update[R], *, ttl: float | None = None) -> R:
        """Atomically replace the record at ``key`` with what ``update`` computes from it.

        Args:
            key: The record's key within this store's namespace.
            update: A pure function of (current record or ``None``, store time in seconds)
                returning (new record: bytes, ``KEEP`` or ``DELETE``; the result to return).
            ttl: Seconds after this write at which the record expires (``None``: never).

        Returns:
            The result of the ``update`` run whose write landed.

        Raises:
            StoreUnavailable: The store did not answer (nothing was written).
        """
        ...

    async def aclose(self) -> None:
        """Release connections and threads (a closed store refuses further steps)."""
        ...


# --- memory ------------------------------------------------------------------------------------


class MemoryStore:
    """A :class:`Store` in this process's memory (tests, and journals that need not outlive it).

    A step is atomic because it never awaits: the update runs between two awaits of the
    event loop. Its clock is :func:`time.monotonic` (replaceable for tests).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._records: dict[str, tuple[bytes, float | None]] = {}
        self._clock = clock
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._records)} records)"

    async def transact(self, key: str, update: Update[R], *, ttl: float | None = None) -> R:
        """See :meth:`Store.transact`."""
        if self._closed:
            raise StoreUnavailable("memory", "the store is closed")
        now = StoreTime(self._clock())
        held = self._records.get(key)
        current = None if held is None or (held[1] is not None and held[1] <= now) else held[0]
        new, result = update(current, now)
        if new is DELETE:
            self._records.pop(key, None)
        elif new is not KEEP:
            assert isinstance(new, bytes)
            self._records[key] = (new, None if ttl is None else now + ttl)
        return result

    async def aclose(self) -> None:
        """Refuse further steps (the records go with the object)."""
        self._closed = True


# --- SQLite ------------------------------------------------------------------------------------

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS records ("
    " key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def _boot_id() -> str:
    """Which boot of the machine this is: ``time.monotonic()`` values compare only within one."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        # Elsewhere: when the monotonic clock started, in wall time, to the minute.
        return f"boot@{round((time.time() - time.monotonic()) / 60)}"


def default_cache_dir() -> Path:
    """The user's cache directory for the SDK (XDG on Linux, ``~/Library/Caches`` on macOS)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "calbookings"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "calbookings"


class SQLiteStore:
    """A :class:`Store` in one SQLite file, shared by every process of the machine.

    Args:
        path: The database file (created with its directory when missing).
        busy_timeout: Seconds a step waits for another process's transaction before giving up
            with :class:`StoreUnavailable` (transactions last well under a millisecond).
        clock: The store's clock (:func:`time.monotonic`, or :func:`time.time` when
            ``durable``; replaceable for tests only).
        durable: Keep the records across reboots of the machine, timed by the wall clock (for
            write journals, whose finished entries must outlive a reboot). The default forgets
            them at a new boot (for the rate budget, timed by the monotonic clock, whose
            readings mean nothing after a reboot). Give each kind its own file.

    Raises:
        InvalidArgumentError: ``path`` is not a path, or its directory cannot be created.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 2.0,
        clock: Callable[[], float] | None = None,
        durable: bool = False,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise InvalidArgumentError("path", f"expected a file path, got {path!r}")
        self.path = Path(os.fspath(path)).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as problem:
            raise InvalidArgumentError(
                "path", f"cannot create the directory of {self.path}: {problem.strerror}"
            ) from None
        self._busy_ms = int(busy_timeout * 1000)
        self._durable = durable
        self._clock = clock if clock is not None else (time.time if durable else time.monotonic)
        # One thread owns the connection: sqlite3 objects stay in the thread that made them.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="calbookings-sqlite"
        )
        self._local = threading.local()
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    async def transact(self, key: str, update: Update[R], *, ttl: float | None = None) -> R:
        """See :meth:`Store.transact`. Runs in the store's worker thread."""
        if self._closed:
            raise StoreUnavailable(str(self.path), "the store is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._step, key, update, ttl)

    async def aclose(self) -> None:
        """Close the connection and stop the worker thread."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=False)

    def _close_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
        return connection

    def _open(self) -> sqlite3.Connection:
        """A connection set up for the store. Setting up a new file (WAL mode, the schema) can
        meet another process doing the same, which SQLite answers with "locked" at once rather
        than through the busy timeout: those are tried again until the timeout has passed."""
        give_up = time.monotonic() + self._busy_ms / 1000
        while True:
            try:
                return self._open_once()
            except StoreUnavailable:
                if time.monotonic() >= give_up:
                    raise
                time.sleep(0.02)

    def _open_once(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path, timeout=self._busy_ms / 1000, isolation_level=None
            )
        except sqlite3.Error as problem:
            raise InvalidArgumentError("path", f"cannot open {self.path}: {problem}") from None
        try:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            for statement in _SCHEMA:
                connection.execute(statement)
            if not self._durable:
                self._check_boot(connection)
        except sqlite3.OperationalError as problem:
            connection.close()
            if "locked" in str(problem) or "busy" in str(problem):
                raise StoreUnavailable(str(self.path), f"database is locked ({problem})") from None
            raise InvalidArgumentError(
                "path", f"{self.path} is not a usable SQLite database ({problem})"
            ) from None
        except sqlite3.DatabaseError as problem:
            connection.close()
            raise InvalidArgumentError(
                "path",
                f"{self.path} is not a usable SQLite database ({problem}); delete it or choose"
                " another path",
            ) from None
        return connection

    def _check_boot(self, connection: sqlite3.Connection) -> None:
        """Forget every record written during another boot (its times mean nothing now)."""
        boot = _boot_id()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute("SELECT value FROM meta WHERE name = 'boot'").fetchone()
            if row is None or row[0] != boot:
                connection.execute("DELETE FROM records")
                connection.execute("INSERT OR REPLACE INTO meta VALUES ('boot', ?)", (boot,))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _step(self, key: str, update: Update[R], ttl: float | None) -> R:
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as problem:
            raise StoreUnavailable(str(self.path), f"database is locked ({problem})") from None
        try:
            now = StoreTime(self._clock())
            row = connection.execute(
                "SELECT value, expires FROM records WHERE key = ?", (key,)
            ).fetchone()
            current = None if row is None or (row[1] is not None and row[1] <= now) else row[0]
            new, result = update(current, now)
            if new is DELETE:
                connection.execute("DELETE FROM records WHERE key = ?", (key,))
            elif new is not KEEP:
                assert isinstance(new, bytes)
                expires = None if ttl is None else now + ttl
                connection.execute(
                    "INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (key, new, expires)
                )
            connection.execute("COMMIT")
        except sqlite3.OperationalError as problem:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise StoreUnavailable(str(self.path), str(problem)) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        return result


# --- Redis -------------------------------------------------------------------------------------

# KEYS[1]: the record (a hash: v = version, d = data). ARGV: expected version ("" to only read),
# new data, ttl in ms ("0": none), mode ("w" write, "d" delete, "k" keep), the time the caller
# assumed. Answers {written, version, data or false, seconds, microseconds}. A write whose
# caller assumed a later time than the store's (a clock that went back) is refused like a race.
_SCRIPT = """
local t = redis.call('TIME')
local current = redis.call('HMGET', KEYS[1], 'v', 'd')
local version = tonumber(current[1]) or 0
local assumed = tonumber(ARGV[5])
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if ARGV[1] == '' or tonumber(ARGV[1]) ~= version or (assumed and assumed > now) then
  return {0, version, current[2], t[1], t[2]}
end
if ARGV[4] == 'w' then
  version = version + 1
  redis.call('HSET', KEYS[1], 'v', version, 'd', ARGV[2])
  if tonumber(ARGV[3]) > 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
  else
    redis.call('PERSIST', KEYS[1])
  end
elseif ARGV[4] == 'd' then
  redis.call('DEL', KEYS[1])
  version = 0
end
return {1, version, false, t[1], t[2]}
"""


#: Records a Redis store remembers the last version of (to change them in one round trip).
_SEEN_MAX = 1024


class RedisStore:
    """A :class:`Store` in Redis or Valkey, shared by every process that reaches it.

    Args:
        client: A ``redis.asyncio.Redis`` (redis-py >= 5) or any client with the same
            ``register_script`` API. The store does not close it unless ``owns_client``.
        prefix: Prepended to every key (``"calbookings"``).
        namespace: Put inside a hash tag, ``{namespace}``, after the prefix: every key of one
            namespace lands on one Redis Cluster shard.
        timeout: Seconds a step may take before :class:`StoreUnavailable` is raised.
        owns_client: Close ``client`` in :meth:`aclose`.
        description: How the store is named in errors and logs (an address without password).
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "calbookings",
        namespace: str = "shared",
        timeout: float = 1.0,
        owns_client: bool = False,
        description: str = "redis",
    ) -> None:
        if not callable(getattr(client, "register_script", None)):
            raise InvalidArgumentError(
                "client", f"expected a redis.asyncio client, got {type(client).__name__}"
            )
        self._client = client
        self._script = client.register_script(_SCRIPT)
        self._prefix = f"{prefix}:{{{namespace}}}:"
        self._timeout = timeout
        self._owns = owns_client
        self.description = description
        # key -> (version, data, store time - local time when it was read): the last record
        # seen, so that a step usually costs one round trip.
        # Bounded (a journal touches a new key per write): the oldest are forgotten first.
        self._seen: dict[str, tuple[int, bytes | None, tuple[float, float]]] = {}
        # The store's clock minus the local one, from the latest answer (any key).
        self._offset: tuple[float, float] | None = None
        self.round_trips = 0

    def __repr__(self) -> str:
        return f"RedisStore({self.description!r}, prefix={self._prefix!r})"

    async def transact(self, key: str, update: Update[R], *, ttl: float | None = None) -> R:
        """See :meth:`Store.transact`. Usually one round trip (the script), two after a race."""
        full = self._prefix + key
        ttl_ms = "0" if ttl is None else str(max(1, int(ttl * 1000)))
        seen = self._seen.get(full)
        if seen is None and self._offset is not None:
            # A key not seen yet is assumed absent (version 0): right for a new journal key,
            # and one more round trip (the script answers with the record) when it is not.
            seen = (0, None, self._offset)
        elif seen is None:
            _written, version, current, offset = await self._call(full, ("", "", "0", "k", ""))
            seen = (version, current, offset)
        while True:
            version, current, offset = seen
            # The store's time now, from the last answer on the local monotonic clock: between
            # the time it answered (it may have taken long to arrive) and the time we asked.
            local = time.monotonic()
            now = StoreTime(local + offset[0], local + offset[1])
            new, result = update(current, now)
            if new is KEEP:
                mode, data = "k", b""
            elif new is DELETE:
                mode, data = "d", b""
            else:
                assert isinstance(new, bytes)
                mode, data = "w", new
            written, version, stored, offset = await self._call(
                full, (str(version), data, ttl_ms, mode, repr(now))
            )
            if written:
                # What the record is now: the answer carries it only when nothing was written.
                after = current if mode == "k" else (new if mode == "w" else None)
                assert after is None or isinstance(after, bytes)
                self._seen.pop(full, None)
                self._seen[full] = (version, after, offset)
                if len(self._seen) > _SEEN_MAX:
                    del self._seen[next(iter(self._seen))]
                return result
            seen = (version, stored, offset)

    async def _call(
        self, key: str, args: tuple[str, bytes | str, str, str, str]
    ) -> tuple[bool, int, bytes | None, tuple[float, float]]:
        """Run the script once: (written, version, record as stored when not written, the
        store's clock minus the local one, as (earliest, latest))."""
        sent = time.monotonic()
        self.round_trips += 1
        try:
            if _timeout is not None:  # Python 3.11+: no task per call
                async with _timeout(self._timeout):
                    reply = await self._script(keys=[key], args=list(args))
            else:
                reply = await asyncio.wait_for(
                    self._script(keys=[key], args=list(args)), self._timeout
                )
        except Exception as problem:
            self._seen.pop(key, None)
            if isinstance(problem, (asyncio.TimeoutError, OSError)) or _is_client_error(problem):
                raise StoreUnavailable(self.description, _describe(problem)) from None
            raise
        written, version, data, seconds, micros = reply
        store_time = int(seconds) + int(micros) / 1_000_000
        # The store read TIME after we sent and before we received.
        offset = (store_time - time.monotonic(), store_time - sent)
        self._offset = offset
        if isinstance(data, str):
            data = data.encode()
        return int(written) == 1, int(version), data or None, offset

    async def aclose(self) -> None:
        """Close the client when the store owns it."""
        if self._owns:
            closer = getattr(self._client, "aclose", None) or self._client.close
            await closer()


def _is_client_error(problem: BaseException) -> bool:
    """An error of the Redis client library itself (connection refused, reset, ...)."""
    module = type(problem).__module__
    return module.startswith(("redis", "valkey", "fakeredis"))


def _describe(problem: BaseException) -> str:
    if isinstance(problem, asyncio.TimeoutError):
        return "no answer in time"
    text = str(problem) or type(problem).__name__
    return f"{type(problem).__name__}: {text}"

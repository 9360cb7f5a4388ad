"""The store seam under the shared pacer (and a write journal): SQLite and Redis, one suite.

Every behaviour test runs against the SQLite file store, Redis through ``fakeredis`` (which runs
the store's Lua script unchanged) and a real ``redis-server`` started on a free loopback port.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from _servers import RedisServer, free_port

from calbookings_async import InvalidArgumentError
from calbookings_async._stores import (
    DELETE,
    KEEP,
    RedisStore,
    SQLiteStore,
    Store,
    StoreUnavailable,
)

redis_asyncio = pytest.importorskip("redis.asyncio")
fakeredis = pytest.importorskip("fakeredis")
fakeredis_aioredis = pytest.importorskip("fakeredis.aioredis")


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "fakeredis", "redis"])
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """Builds stores that share one backing (file, fake server, real server)."""
    made: list[Any] = []
    kind = request.param
    shared_fake = fakeredis.FakeServer() if kind == "fakeredis" else None
    namespace = f"ns{free_port()}"

    def make() -> Store:
        store: Any
        if kind == "sqlite":
            store = SQLiteStore(tmp_path / "state.sqlite3")
        elif kind == "fakeredis":
            client = fakeredis_aioredis.FakeRedis(server=shared_fake)
            store = RedisStore(client, namespace=namespace, owns_client=True)
        else:
            server = request.getfixturevalue("redis_server")
            client = redis_asyncio.Redis.from_url(server.url)
            store = RedisStore(client, namespace=namespace, owns_client=True)
        made.append(store)
        return store

    try:
        yield make
    finally:
        for store in made:
            await store.aclose()


def counter(current: bytes | None, now: float) -> tuple[bytes, int]:
    value = 0 if current is None else int(current)
    return str(value + 1).encode(), value + 1


async def test_a_record_is_created_read_kept_and_deleted(make_store: Any) -> None:
    store = make_store()
    assert await store.transact("k", lambda cur, now: (KEEP, cur)) is None
    assert await store.transact("k", counter) == 1
    assert await store.transact("k", counter) == 2
    assert await store.transact("k", lambda cur, now: (KEEP, cur)) == b"2"
    assert await store.transact("k", lambda cur, now: (DELETE, cur)) == b"2"
    assert await store.transact("k", lambda cur, now: (KEEP, cur)) is None


async def test_concurrent_steps_from_several_stores_never_lose_a_write(make_store: Any) -> None:
    stores = [make_store() for _ in range(3)]

    async def bump(store: Store) -> None:
        for _ in range(30):
            await store.transact("count", counter)

    await asyncio.gather(*(bump(store) for store in stores))
    assert await stores[0].transact("count", lambda cur, now: (KEEP, cur)) == b"90"


async def test_claiming_a_key_has_exactly_one_winner(make_store: Any) -> None:
    # How a write journal claims an idempotency key: write only when absent or lease run out.
    stores = [make_store() for _ in range(4)]

    def claim(owner: str) -> Any:
        def update(current: bytes | None, now: float) -> tuple[Any, str]:
            if current is not None:
                record = json.loads(current)
                if record["lease_until"] > now:
                    return KEEP, record["owner"]
            return json.dumps({"owner": owner, "lease_until": now + 30}).encode(), owner

        return update

    winners = await asyncio.gather(
        *(store.transact("journal:key-1", claim(f"w{i}")) for i, store in enumerate(stores))
    )
    assert len(set(winners)) == 1


async def test_the_store_clock_moves_forward_and_is_shared(make_store: Any) -> None:
    first, second = make_store(), make_store()

    def stamp(current: bytes | None, now: float) -> tuple[bytes, float]:
        return repr(now).encode(), now

    a = await first.transact("clock", stamp)
    b = await second.transact("clock", stamp)
    c = await first.transact("clock", stamp)
    assert a <= b <= c


async def test_a_record_with_a_ttl_expires_in_store_time(tmp_path: Path) -> None:
    now = [100.0]
    store = SQLiteStore(tmp_path / "s.sqlite3", clock=lambda: now[0])
    try:
        await store.transact("k", lambda cur, t: (b"x", None), ttl=5.0)
        now[0] = 104.0
        assert await store.transact("k", lambda cur, t: (KEEP, cur)) == b"x"
        now[0] = 105.5
        assert await store.transact("k", lambda cur, t: (KEEP, cur)) is None
    finally:
        await store.aclose()


async def test_redis_records_get_their_ttl() -> None:
    client = fakeredis_aioredis.FakeRedis()
    store = RedisStore(client, prefix="p", namespace="n")
    await store.transact("k", lambda cur, t: (b"x", None), ttl=5.0)
    assert 0 < await client.pttl("p:{n}:k") <= 5000
    await store.transact("k", lambda cur, t: (b"y", None))
    assert await client.pttl("p:{n}:k") == -1
    await client.aclose()


# --- faults ---------------------------------------------------------------------------------


async def test_a_corrupt_sqlite_file_is_an_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not a database, not at all" * 100)
    store = SQLiteStore(path)
    with pytest.raises(InvalidArgumentError) as caught:
        await store.transact("k", counter)
    assert caught.value.argument == "path"
    assert str(path) in str(caught.value)
    await store.aclose()


def test_a_directory_that_cannot_be_created_is_an_error_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidArgumentError) as caught:
        SQLiteStore(blocker / "sub" / "state.sqlite3")
    assert caught.value.argument == "path"
    assert str(blocker / "sub") in str(caught.value)


@pytest.mark.parametrize("value", [None, 3, ""])
def test_a_path_that_is_not_a_path_is_refused(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        SQLiteStore(value)
    assert caught.value.argument == "path"


def _hold_lock(path: Path, locked: threading.Event, release: threading.Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    locked.set()
    release.wait(10)
    connection.execute("COMMIT")
    connection.close()


async def test_a_locked_database_waits_briefly_then_proceeds(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    store = SQLiteStore(path, busy_timeout=10.0)
    await store.transact("k", counter)  # the file exists, in WAL mode
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(path, locked, release))
    holder.start()
    locked.wait(10)
    step = asyncio.ensure_future(store.transact("k", counter))
    await asyncio.sleep(0.05)
    assert not step.done()  # waiting for the other transaction, not failing
    release.set()
    assert await step == 2
    holder.join()
    await store.aclose()


async def test_a_lock_held_too_long_is_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    store = SQLiteStore(path, busy_timeout=0.05)
    await store.transact("k", counter)
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(path, locked, release))
    holder.start()
    locked.wait(10)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await store.transact("k", counter)
        assert str(path) in str(caught.value)
    finally:
        release.set()
        holder.join()
    assert await store.transact("k", counter) == 2  # nothing was written by the failed step
    await store.aclose()


async def test_records_from_another_boot_are_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.sqlite3"
    store = SQLiteStore(path)
    await store.transact("k", counter)
    await store.aclose()
    monkeypatch.setattr("calbookings_async._stores._boot_id", lambda: "another boot")
    store = SQLiteStore(path)
    assert await store.transact("k", lambda cur, t: (KEEP, cur)) is None
    await store.aclose()


async def test_a_durable_store_keeps_its_records_across_a_reboot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A write journal's finished entries must outlive a reboot, or its items are sent again.
    path = tmp_path / "journal.sqlite3"
    store = SQLiteStore(path, durable=True)
    await store.transact("k", counter, ttl=3600)
    await store.aclose()
    monkeypatch.setattr("calbookings_async._stores._boot_id", lambda: "another boot")
    store = SQLiteStore(path, durable=True)
    assert await store.transact("k", lambda cur, t: (KEEP, cur)) == b"1"
    await store.aclose()


async def test_an_unreachable_redis_is_store_unavailable_without_hanging() -> None:
    client = redis_asyncio.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    store = RedisStore(client, description="127.0.0.1:port", timeout=0.5, owns_client=True)
    with pytest.raises(StoreUnavailable) as caught:
        await store.transact("k", counter)
    assert "127.0.0.1:port" in str(caught.value)
    await store.aclose()


def test_redis_store_refuses_a_non_client() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        RedisStore(object())
    assert caught.value.argument == "client"


async def test_redis_restarted_empty_starts_from_nothing(redis_server: RedisServer) -> None:
    client = redis_asyncio.Redis.from_url(redis_server.url)
    store = RedisStore(client, namespace="restart", owns_client=True)
    assert await store.transact("k", counter) == 1
    redis_server.stop()
    with pytest.raises(StoreUnavailable):
        await store.transact("k", counter)
    redis_server.start()
    # The client reconnects; the script is loaded again; the record starts over.
    assert await store.transact("k", counter) == 1
    await store.aclose()


# --- several processes ------------------------------------------------------------------------


def _bump_in_process(path: str, count: int) -> None:
    async def run() -> None:
        store = SQLiteStore(path)
        for _ in range(count):
            await store.transact("count", counter)
        await store.aclose()

    asyncio.run(run())


def _bump_redis_in_process(url: str, count: int) -> None:
    async def run() -> None:
        store = RedisStore(redis_asyncio.Redis.from_url(url), namespace="mp", owns_client=True)
        for _ in range(count):
            await store.transact("count", counter)
        await store.aclose()

    asyncio.run(run())


@pytest.mark.parametrize("backing", ["sqlite", "redis"])
def test_processes_sharing_a_store_never_lose_a_write(
    tmp_path: Path, backing: str, request: pytest.FixtureRequest
) -> None:
    context = multiprocessing.get_context("spawn")
    if backing == "sqlite":
        target, where = _bump_in_process, str(tmp_path / "shared.sqlite3")
    else:
        target, where = _bump_redis_in_process, request.getfixturevalue("redis_server").url
    workers = [context.Process(target=target, args=(where, 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0

    async def read() -> Any:
        store: Any
        if backing == "sqlite":
            store = SQLiteStore(where)
        else:
            store = RedisStore(
                redis_asyncio.Redis.from_url(where), namespace="mp", owns_client=True
            )
        try:
            return await store.transact("count", lambda cur, t: (KEEP, cur))
        finally:
            await store.aclose()

    assert asyncio.run(read()) == b"200"

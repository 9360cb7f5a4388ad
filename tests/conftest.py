"""Shared fixtures: retry waits off, a scriptable loopback server, a fake clock, clients.

Helpers live in ``tests/_helpers.py``; this file only wires them into fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from _helpers import API_KEY, FakeClock, ScriptedServer
from _servers import RedisServer

from calbookings_async import CalBookings
from calbookings_async._retry import waits_disabled


@pytest.fixture(autouse=True)
def _own_cache_directory(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own cache directory: the command line's shared pacing file lives there,
    and one test's rate budget must not hold up the next."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _retry_waits_off() -> Iterator[None]:
    """No test sleeps between retries (restored after each test)."""
    with waits_disabled():
        yield


@pytest.fixture(autouse=True)
def _state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's default journals go to a directory of the test's, never the home."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
async def loopback_server() -> AsyncIterator[ScriptedServer]:
    """A real aiohttp server on 127.0.0.1 whose replies the test scripts."""
    server = ScriptedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A real ``redis-server`` on a free loopback port for one test, stopped by its pid (the test
    is skipped, saying why, where the program is missing)."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_clock() -> FakeClock:
    """Virtual time: ``sleep`` advances it at once and records the seconds asked for."""
    return FakeClock()


@pytest.fixture
async def make_client(
    loopback_server: ScriptedServer,
) -> AsyncIterator[Callable[..., CalBookings]]:
    """Build ``CalBookings`` clients aimed at ``loopback_server``; all closed at teardown."""
    clients: list[CalBookings] = []

    def make(**kwargs: Any) -> CalBookings:
        if not {"api_key", "access_token", "client_id", "secret_key"} & kwargs.keys():
            kwargs["api_key"] = API_KEY
        kwargs.setdefault("base_url", loopback_server.url)
        # These clients test the session through decline and cancel, request by request: no
        # read-back after an uncertain write (settling is tested in test_settle.py).
        kwargs.setdefault("settle", False)
        client = CalBookings(**kwargs)
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            await client.aclose()

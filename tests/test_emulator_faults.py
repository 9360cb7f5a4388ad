"""Fault injection and the ledger, observed from a real aiohttp client over loopback.

Each fault kind is checked for what the client sees (status, body, or the exception aiohttp
raises), whether the write was applied (the ledger), and that it was counted by kind and route.
The server must stay quiet: no handler errors, no warnings (``filterwarnings = error``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest

from calbookings_async.testing import CalEmulator, FaultKind

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
CREATE = "POST /v2/bookings"
CANCEL = "POST /v2/bookings/{bookingUid}/cancel"
GET_ONE = "GET /v2/bookings/{bookingUid}"


def booking_body(event_type: int, start: str = "2026-03-05T10:00:00Z", **extra: Any) -> Any:
    return {
        "start": start,
        "eventTypeId": event_type,
        "attendee": {"name": "Ann", "email": "ann@example.org", "timeZone": "UTC"},
        **extra,
    }


@pytest.fixture
async def emu(caplog: pytest.LogCaptureFixture) -> AsyncIterator[CalEmulator]:
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    async with CalEmulator(seed=9, wall_clock=NOW.timestamp, rate_limit=None) as emulator:
        yield emulator
        assert emulator.errors == []
    # Dropped and truncated connections must not make aiohttp's server log errors.
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert noisy == []


@pytest.fixture
def event_type(emu: CalEmulator) -> int:
    return emu.add_event_type(slug="intro")


@pytest.fixture
async def http(emu: CalEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    # A fresh connection per request: aiohttp would otherwise retry an idempotent request once
    # when a reused keep-alive connection drops.
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(
        emu.base_url, headers=emu.headers(), connector=connector
    ) as session:
        yield session


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        (FaultKind.HTTP_500, 500, "InternalServerErrorException"),
        (FaultKind.HTTP_502, 502, "BadGatewayException"),
        (FaultKind.HTTP_503, 503, "ServiceUnavailableException"),
        (FaultKind.HTTP_504, 504, "GatewayTimeoutException"),
    ],
)
async def test_server_errors_are_json_envelopes_and_nothing_is_applied(
    emu: CalEmulator,
    event_type: int,
    http: aiohttp.ClientSession,
    kind: FaultKind,
    status: int,
    code: str,
) -> None:
    emu.faults.inject(kind, route=CREATE, times=2)
    for _ in range(2):
        async with http.post("/v2/bookings", json=booking_body(event_type)) as response:
            assert response.status == status
            payload = await response.json()
            assert payload["status"] == "error"
            assert payload["error"]["code"] == code
            assert response.headers["X-Request-Id"]
    async with http.post("/v2/bookings", json=booking_body(event_type)) as response:
        assert response.status == 201
    assert emu.faults.count(kind, CREATE) == 2
    assert emu.faults.count() == 2
    assert emu.ledger.count(operation="create") == 1


async def test_html_page_from_a_proxy(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    emu.faults.inject(FaultKind.HTML_ERROR, route=CREATE, status=503)
    async with http.post("/v2/bookings", json=booking_body(event_type)) as response:
        assert response.status == 503
        assert response.content_type == "text/html"
        assert "<title>503 Service Unavailable</title>" in await response.text()
        with pytest.raises(aiohttp.ContentTypeError):
            await response.json()
    assert emu.ledger.count() == 0
    assert emu.faults.count("html_error") == 1


async def test_non_json_200(emu: CalEmulator, event_type: int, http: aiohttp.ClientSession) -> None:
    emu.faults.inject(FaultKind.NON_JSON, route=CREATE)
    async with http.post("/v2/bookings", json=booking_body(event_type)) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        with pytest.raises(json.JSONDecodeError):
            await response.json()
    assert emu.ledger.count() == 0


async def test_burst_of_429s(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    uid = emu.add_booking(event_type_id=event_type, start="2026-03-05T10:00:00Z")
    emu.faults.inject(FaultKind.RATE_LIMIT, route=GET_ONE, times=3, reset=7)
    statuses = []
    for _ in range(4):
        async with http.get(f"/v2/bookings/{uid}") as response:
            statuses.append(response.status)
            if response.status == 429:
                assert response.headers["X-RateLimit-Remaining-Default"] == "0"
                assert response.headers["X-RateLimit-Reset-Default"] == "7"
                error = (await response.json())["error"]
                assert error["code"] == "ThrottlerException"
                assert error["details"] == error["message"]
    assert statuses == [429, 429, 429, 200]
    assert emu.faults.count(FaultKind.RATE_LIMIT) == 3
    assert emu.throttler.rejected == 0


async def test_drop_before_processing_changes_nothing(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    uid = emu.add_booking(event_type_id=event_type, start="2026-03-05T10:00:00Z")
    emu.faults.inject(FaultKind.DROP_BEFORE, route=CANCEL)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(f"/v2/bookings/{uid}/cancel", json={}) as response:
            await response.read()
    assert emu.get_booking(uid)["status"] == "accepted"
    assert emu.ledger.count() == 0
    assert emu.faults.count(FaultKind.DROP_BEFORE, CANCEL) == 1


async def test_drop_after_the_write_was_applied(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    uid = emu.add_booking(event_type_id=event_type, start="2026-03-05T10:00:00Z")
    emu.faults.inject(FaultKind.DROP_AFTER, route=CANCEL)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(f"/v2/bookings/{uid}/cancel", json={}) as response:
            await response.read()
    assert emu.get_booking(uid)["status"] == "cancelled"
    assert emu.ledger.count(operation="cancel", uid=uid) == 1
    # A blind retry of the cancel is refused: the state is already there.
    async with http.post(f"/v2/bookings/{uid}/cancel", json={}) as response:
        assert response.status == 400


async def test_truncated_body_after_the_write(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    emu.faults.inject(FaultKind.TRUNCATED, route=CREATE)
    async with http.post("/v2/bookings", json=booking_body(event_type)) as response:
        assert response.status == 201
        assert response.content_length is not None
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert emu.ledger.count(operation="create") == 1


async def test_delay_beyond_the_client_timeout_still_applies_the_write(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    emu.faults.inject(FaultKind.DELAY, route=CREATE, delay=0.3)
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(
            "/v2/bookings",
            json=booking_body(event_type),
            timeout=aiohttp.ClientTimeout(total=0.1),
        ) as response:
            await response.read()
    assert emu.ledger.count() == 0
    for _ in range(500):  # bounded wait for the delayed write; no margin on its timing
        if emu.ledger.count():
            break
        await asyncio.sleep(0.01)
    assert emu.ledger.count(operation="create") == 1
    assert emu.faults.count(FaultKind.DELAY) == 1


async def test_delay_within_the_timeout_is_just_slow(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    emu.faults.inject(FaultKind.DELAY, route=None, delay=0.05)
    async with http.post("/v2/bookings", json=booking_body(event_type)) as response:
        assert response.status == 201


async def test_aiohttp_retries_a_dropped_idempotent_request_once(emu: CalEmulator) -> None:
    uid = emu.add_booking(event_type_id=emu.add_event_type(slug="x"), start="2026-03-05T10:00Z")
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as session:
        async with session.get(f"/v2/bookings/{uid}") as response:  # opens a keep-alive
            assert response.status == 200
        emu.faults.inject(FaultKind.DROP_BEFORE, route=GET_ONE, times=1)
        async with session.get(f"/v2/bookings/{uid}") as response:
            assert response.status == 200  # aiohttp retried on a fresh connection
        emu.faults.inject(FaultKind.DROP_BEFORE, route=GET_ONE, times=2)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with session.get(f"/v2/bookings/{uid}") as response:
                await response.read()
    assert emu.faults.count(FaultKind.DROP_BEFORE) == 3


async def test_rules_match_routes_skip_and_expire(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    uid = emu.add_booking(event_type_id=event_type, start="2026-03-05T10:00:00Z")
    rule = emu.faults.inject(FaultKind.HTTP_503, route=CANCEL, skip=1, times=1)
    async with http.get(f"/v2/bookings/{uid}") as response:
        assert response.status == 200  # another route
    async with http.post(f"/v2/bookings/{uid}/cancel", json={}) as response:
        assert response.status == 200  # skipped once
    async with http.post(f"/v2/bookings/{uid}/cancel", json={}) as response:
        assert response.status == 503
    assert emu.faults.rules == []
    assert rule.times == 0
    emu.faults.inject(FaultKind.HTTP_500, route="*", times=None)
    async with http.get("/v2/bookings") as response:
        assert response.status == 500
    emu.faults.clear()
    async with http.get("/v2/bookings") as response:
        assert response.status == 200
    assert emu.faults.counts == {("http_503", CANCEL): 1, ("http_500", "GET /v2/bookings"): 1}
    emu.faults.reset_counts()
    assert emu.faults.count() == 0


async def test_probabilistic_faults_are_deterministic_under_the_seed() -> None:
    async def pattern(seed: int) -> list[int]:
        async with CalEmulator(seed=seed, rate_limit=None) as emulator:
            emulator.faults.inject(FaultKind.HTTP_502, route=None, probability=0.3, times=None)
            async with aiohttp.ClientSession(
                emulator.base_url, headers=emulator.headers()
            ) as session:
                statuses = []
                for _ in range(40):
                    async with session.get("/v2/bookings") as response:
                        statuses.append(response.status)
            assert emulator.faults.count() == statuses.count(502)
            return statuses

    first = await pattern(1)
    assert first == await pattern(1)
    assert 3 < first.count(502) < 25
    assert first != await pattern(2)


# -- the ledger ----------------------------------------------------------------------------------


async def test_ledger_entries_describe_each_write(
    emu: CalEmulator, event_type: int, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        "/v2/bookings", json=booking_body(event_type), headers={"X-Request-Id": "r-1"}
    ) as response:
        uid = (await response.json())["data"]["uid"]
        sent_id = response.headers["X-Request-Id"]
    async with http.post(f"/v2/bookings/{uid}/cancel", json={"cancellationReason": "x"}) as r:
        assert r.status == 200
    first, second = emu.ledger.entries
    assert (first.seq, second.seq) == (1, 2)
    assert (first.operation, second.operation) == ("create", "cancel")
    # The server's own id (the one it answered with), never the client's (API-NOTES §7).
    assert first.request_id == sent_id
    assert first.request_id != "r-1"
    assert first.route == CREATE
    assert first.tracker == "api_key_" + hashlib.sha256(emu.api_key.encode()).hexdigest()
    assert first.time == NOW.timestamp()
    assert first.body["attendee"]["email"] == "ann@example.org"
    assert first.result[0]["status"] == "accepted"
    assert second.result[0]["status"] == "cancelled"
    assert second.body == {"cancellationReason": "x"}
    assert emu.ledger.count(uid=uid) == 2
    assert [e.seq for e in emu.ledger.for_uid(uid)] == [1, 2]
    assert emu.ledger.duplicates() == {}
    emu.ledger.clear()
    assert len(emu.ledger) == 0


async def test_ledger_finds_duplicate_applications_of_unsafe_writes(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    first_host = emu.add_user(name="One")
    second_host = emu.add_user(name="Two")
    third_host = emu.add_user(name="Three")
    mine = emu.add_event_type(slug="a", owner_id=first_host)
    theirs = emu.add_event_type(slug="a", owner_id=second_host)
    team = emu.add_team(slug="t")
    robin = emu.add_event_type(
        slug="rr",
        team_id=team,
        scheduling_type="ROUND_ROBIN",
        host_ids=[first_host, second_host, third_host],
    )
    marker = {"idempotencyKey": "k-1"}
    for event_type in (mine, theirs):  # same attendee, start and marker: a duplicated create
        async with http.post("/v2/bookings", json=booking_body(event_type, metadata=marker)) as r:
            assert r.status == 201
    async with http.post("/v2/bookings", json=booking_body(mine, "2026-03-06T10:00:00Z")) as r:
        uid = (await r.json())["data"]["uid"]
    for _ in range(2):
        async with http.post(
            f"/v2/bookings/{uid}/guests", json={"guests": [{"email": "g@example.org"}]}
        ) as r:
            assert r.status == 200
    async with http.post("/v2/bookings", json=booking_body(robin, "2026-03-07T10:00:00Z")) as r:
        robin_uid = (await r.json())["data"]["uid"]
    for _ in range(2):
        async with http.post(f"/v2/bookings/{robin_uid}/reassign") as r:
            assert r.status == 200
    for _ in range(2):
        async with http.post(f"/v2/bookings/{uid}/cancel", json={}) as r:
            pass  # the second is a 400: cancels are not duplicates
    duplicates = emu.ledger.duplicates()
    kinds = sorted(key[0] for key in duplicates)
    assert kinds == ["add_guests", "create", "reassign"]
    assert all(len(entries) == 2 for entries in duplicates.values())

"""The emulator's API behaviour: state transitions, errors, listings, legacy routing and auth.

Everything goes over real HTTP on loopback with a plain aiohttp client, the way an SDK or a
user's service talks to it. The wall clock is fixed (``NOW``) so past/upcoming are stable.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from calbookings_async.testing import (
    API_VERSION,
    CalEmulator,
    Recurrence,
    pagination,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TAKEN = "User either already has booking at this time or is not available"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class FakeClock:
    """Monotonic and wall clocks a test can move."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall_now = NOW.timestamp()

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.wall_now

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall_now += seconds


def at(days: int, hour: int = 10, minute: int = 0) -> str:
    moment = (NOW + timedelta(days=days)).replace(hour=hour, minute=minute)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class World:
    host: int
    second: int
    third: int
    team: int
    regular: int
    confirm: int
    weekly: int
    seated: int
    hidden: int
    demo: int
    flex: int
    other_regular: int


def build_world(emu: CalEmulator) -> World:
    host = emu.add_user(name="Hana Host", username="hana", time_zone="Europe/Berlin")
    second = emu.add_user(name="Sam Second", username="sam")
    third = emu.add_user(name="Tia Third", username="tia")
    team = emu.add_team(slug="sales")
    return World(
        host=host,
        second=second,
        third=third,
        team=team,
        regular=emu.add_event_type(slug="intro", owner_id=host),
        confirm=emu.add_event_type(slug="consult", owner_id=host, requires_confirmation=True),
        weekly=emu.add_event_type(
            slug="weekly", owner_id=host, recurrence=Recurrence("weekly", 1, 3)
        ),
        seated=emu.add_event_type(slug="workshop", owner_id=host, seats=2),
        hidden=emu.add_event_type(
            slug="private", owner_id=host, seats=3, seats_show_attendees=False
        ),
        demo=emu.add_event_type(
            slug="demo",
            team_id=team,
            scheduling_type="ROUND_ROBIN",
            host_ids=[host, second, third],
        ),
        flex=emu.add_event_type(slug="flex", owner_id=host, lengths=(15, 30, 60)),
        other_regular=emu.add_event_type(slug="intro", owner_id=second),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[CalEmulator]:
    async with CalEmulator(
        seed=5, clock=clock.monotonic, wall_clock=clock.wall, rate_limit=None
    ) as emulator:
        yield emulator


@pytest.fixture
def world(emu: CalEmulator) -> World:
    return build_world(emu)


@pytest.fixture
async def http(emu: CalEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    async with http.request(method, path, **kwargs) as response:
        return response.status, await response.json()


def body(
    event_type: int, start: str, email: str = "ann@example.org", **extra: Any
) -> dict[str, Any]:
    return {
        "start": start,
        "eventTypeId": event_type,
        "attendee": {"name": "Ann Attendee", "email": email, "timeZone": "Europe/Rome"},
        **extra,
    }


async def create(http: aiohttp.ClientSession, payload: dict[str, Any]) -> Any:
    status, data = await call(http, "POST", "/v2/bookings", json=payload)
    assert status == 201, data
    return data["data"]


def error_of(payload: Any) -> dict[str, Any]:
    assert payload["status"] == "error"
    assert list(payload) == ["status", "timestamp", "path", "error"]
    assert MS_Z.match(payload["timestamp"])
    error: dict[str, Any] = payload["error"]
    return error


# -- lifecycle -----------------------------------------------------------------------------------


async def test_serves_on_a_free_loopback_port_and_stops_cleanly() -> None:
    emulator = CalEmulator()
    async with emulator:
        assert re.match(r"^http://127\.0\.0\.1:\d+$", emulator.base_url)
        assert emulator.port > 0
        assert emulator.api_key.startswith("cal_")
        async with aiohttp.ClientSession() as session:
            url = f"{emulator.base_url}/v2/bookings"
            async with session.get(url, headers=emulator.headers()) as response:
                assert response.status == 200
    with pytest.raises(RuntimeError):
        _ = emulator.base_url


async def test_the_app_works_with_aiohttps_test_client() -> None:
    emulator = CalEmulator()
    emulator.seed(bookings=10)
    async with TestClient(TestServer(emulator.app)) as client:
        response = await client.get("/v2/bookings", headers=emulator.headers())
        assert response.status == 200
        assert (await response.json())["pagination"]["totalItems"] == 10


# -- create --------------------------------------------------------------------------------------


async def test_create_returns_201_with_the_live_shape_and_records_it(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    payload = body(world.regular, at(1), metadata={"ref": "a"})
    payload["attendee"]["phoneNumber"] = "+15550100200"
    # The create pipe forbids unknown keys (API-NOTES §12): nothing is booked.
    status, refused = await call(http, "POST", "/v2/bookings", json={**payload, "unknownField": 1})
    assert status == 400
    assert error_of(refused)["message"] == (
        "unknownField property is wrong,property unknownField should not exist"
    )
    assert len(emu.ledger) == 0
    data = await create(http, payload)
    assert data["status"] == "accepted"
    assert (data["start"], data["end"], data["duration"]) == (
        at(1).replace("Z", ".000Z"),
        at(1, 10, 30).replace("Z", ".000Z"),
        30,
    )
    assert MS_Z.match(data["createdAt"])
    assert data["createdAt"] == "2026-03-02T12:00:00.000Z"
    assert data["hosts"][0]["id"] == world.host
    assert data["attendees"][0]["phoneNumber"] == "+15550100200"
    assert data["eventType"] == {"id": world.regular, "slug": "intro"}
    assert data["icsUid"] == f"{data['uid']}@Cal.com"
    assert re.match(r"^[1-9A-HJ-NP-Za-km-z]{22}$", data["uid"])
    assert data["metadata"] == {"ref": "a"}
    assert "unknownField" not in data
    assert emu.get_booking(data["uid"]) == data
    (entry,) = emu.ledger.entries
    assert (entry.operation, entry.uids, entry.body["metadata"]) == (
        "create",
        (data["uid"],),
        {"ref": "a"},
    )


async def test_create_by_slug_and_username_or_team_slug(
    world: World, http: aiohttp.ClientSession
) -> None:
    by_user: dict[str, Any] = {"start": at(1), "eventTypeSlug": "intro", "username": "sam"}
    by_user["attendee"] = {"name": "A", "email": "a@example.org", "timeZone": "UTC"}
    assert (await create(http, by_user))["hosts"][0]["id"] == world.second
    by_team = {**by_user, "eventTypeSlug": "demo", "teamSlug": "sales"}
    by_team.pop("username")
    assert (await create(http, by_team))["eventType"]["slug"] == "demo"
    status, data = await call(http, "POST", "/v2/bookings", json={**by_user, "username": "nobody"})
    assert status == 404
    assert error_of(data)["message"] == (
        "Event type with slug intro belonging to user nobody not found."
    )


async def test_create_validation_is_the_validation_pipe_envelope(
    world: World, http: aiohttp.ClientSession
) -> None:
    status, data = await call(http, "POST", "/v2/bookings", json={"eventTypeId": world.regular})
    assert status == 400
    error = error_of(data)
    assert error["code"] == "BadRequestException"
    assert error["message"] == "Bad Request Exception"
    problems = {e["property"]: e["constraints"] for e in error["details"]["errors"]}
    assert problems == {
        "start": {"isDateString": "start must be a valid ISO 8601 date string"},
        "attendee": {"isDefined": "attendee should not be null or undefined"},
    }
    for entry in error["details"]["errors"]:
        assert set(entry) >= {"target", "property", "children", "constraints"}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"start": "2026-02-30T10:00:00Z"}, "isDateString"),
        ({"start": "2026-03-05T10:00:00+02:00"}, "isUTC"),
        ({"attendee": {"name": "A", "timeZone": "UTC"}}, "emailOrPhone"),
        ({"attendee": {"name": "A", "email": "a@x.org", "timeZone": "Mars/Base"}}, "isTimeZone"),
        (
            {"attendee": {"name": "A", "email": "a@x.org", "timeZone": "UTC", "language": "xx"}},
            "isEnum",
        ),
        ({"metadata": {"k" * 41: "v"}}, "metadataValidator"),
        ({"metadata": ["x"]}, "isObject"),
        ({"guests": "a@x.org"}, "isArray"),
        ({"lengthInMinutes": 0}, "min"),
        ({"location": {"type": "teleport"}}, "isLocation"),
        ({"eventTypeId": "7"}, "isInt"),
    ],
)
async def test_create_field_rules(
    world: World, http: aiohttp.ClientSession, change: dict[str, Any], fragment: str
) -> None:
    status, data = await call(
        http, "POST", "/v2/bookings", json={**body(world.regular, at(1)), **change}
    )
    assert status == 400, data
    assert fragment in str(error_of(data)["details"])


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"start": "2026-03-01T10:00:00Z"}, 400, "Attempting to book a meeting in the past."),
        ({"eventTypeId": 999}, 404, "Event type with id 999 not found."),
        ({"lengthInMinutes": 30}, 400, "Can't specify 'lengthInMinutes' because event type"),
        ({"instant": True}, 400, "Instant bookings are only supported for team event types."),
    ],
)
async def test_create_business_errors(
    world: World, http: aiohttp.ClientSession, payload: dict[str, Any], status: int, message: str
) -> None:
    got, data = await call(
        http, "POST", "/v2/bookings", json={**body(world.regular, at(1)), **payload}
    )
    assert got == status
    assert error_of(data)["message"].startswith(message)


async def test_create_without_event_type_identification(http: aiohttp.ClientSession) -> None:
    payload = body(1, at(1))
    payload.pop("eventTypeId")
    status, data = await call(http, "POST", "/v2/bookings", json=payload)
    assert status == 400
    assert error_of(data)["message"] == (
        "Either eventTypeId or eventTypeSlug + username or eventTypeSlug + teamSlug must be "
        "provided"
    )


async def test_create_on_a_taken_slot_and_bad_json(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    await create(http, body(world.regular, at(1)))
    status, data = await call(
        http, "POST", "/v2/bookings", json=body(world.regular, at(1, 10, 15), "b@example.org")
    )
    assert status == 400
    assert error_of(data)["details"] == {
        "message": TAKEN,
        "error": "Bad Request",
        "statusCode": 400,
    }
    # Another host is free at that time.
    await create(http, body(world.other_regular, at(1)))
    status, data = await call(
        http,
        "POST",
        "/v2/bookings",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert status == 400
    assert error_of(data)["message"].startswith("Unexpected token in JSON")
    assert emu.ledger.count(operation="create") == 2


async def test_create_multi_length_and_location_variants(
    world: World, http: aiohttp.ClientSession
) -> None:
    data = await create(http, body(world.flex, at(1), lengthInMinutes=60))
    assert data["duration"] == 60
    status, _ = await call(
        http, "POST", "/v2/bookings", json=body(world.flex, at(2), lengthInMinutes=45)
    )
    assert status == 400
    located = await create(
        http,
        body(world.regular, at(3), location={"type": "attendeePhone", "phone": "+15550001111"}),
    )
    assert located["location"] == located["meetingUrl"] == "+15550001111"
    video = await create(
        http, body(world.regular, at(4), location={"type": "integration", "integration": "zoom"})
    )
    assert video["location"] == "integrations:zoom"
    assert (await create(http, body(world.regular, at(5))))["location"] == "integrations:daily"


async def test_pending_confirm_and_decline(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    first = await create(http, body(world.confirm, at(1)))
    second = await create(http, body(world.confirm, at(2)))
    assert first["status"] == "pending"
    status, data = await call(http, "POST", f"/v2/bookings/{first['uid']}/confirm")
    assert (status, data["data"]["status"]) == (200, "accepted")
    status, data = await call(http, "POST", f"/v2/bookings/{first['uid']}/confirm")
    assert status == 400
    assert "is not pending" in error_of(data)["message"]
    status, data = await call(
        http, "POST", f"/v2/bookings/{second['uid']}/decline", json={"reason": "Too busy"}
    )
    assert (status, data["data"]["status"]) == (200, "rejected")
    assert "Too busy" not in str(data)  # the live output has no rejection reason
    assert emu.booking_record(second["uid"]).rejection_reason == "Too busy"
    status, _ = await call(http, "POST", f"/v2/bookings/{second['uid']}/decline", json={})
    assert status == 400
    # A declined slot is free again.
    await create(http, body(world.confirm, at(2), "other@example.org"))


async def test_instant_booking_awaits_a_host(world: World, http: aiohttp.ClientSession) -> None:
    data = await create(http, body(world.demo, at(0, 14), instant=True))
    assert data["status"] == "awaiting_host"


# -- recurring and seated --------------------------------------------------------------------------


async def test_recurring_create_get_and_cancel_subsequent(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    series = await create(http, body(world.weekly, at(1), recurrenceCount=3))
    assert [b["start"][:10] for b in series] == ["2026-03-03", "2026-03-10", "2026-03-17"]
    recurring_uid = series[0]["recurringBookingUid"]
    assert {b["recurringBookingUid"] for b in series} == {recurring_uid}
    status, data = await call(http, "GET", f"/v2/bookings/{recurring_uid}")
    assert [b["uid"] for b in data["data"]] == [b["uid"] for b in series]
    status, data = await call(http, "GET", f"/v2/bookings/{series[1]['uid']}")
    assert isinstance(data["data"], dict)
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{series[1]['uid']}/cancel",
        json={"cancelSubsequentBookings": True, "cancellationReason": "Done"},
    )
    assert status == 200
    assert [b["status"] for b in data["data"]] == ["accepted", "cancelled", "cancelled"]
    assert data["data"][2]["cancellationReason"] == "Done"
    assert emu.ledger.entries[-1].uids == (series[1]["uid"], series[2]["uid"])
    status, data = await call(http, "POST", f"/v2/bookings/{recurring_uid}/cancel", json={})
    assert [b["status"] for b in data["data"]] == ["cancelled"] * 3
    status, data = await call(http, "POST", f"/v2/bookings/{recurring_uid}/cancel", json={})
    assert status == 400


async def test_recurrence_count_is_capped_by_the_event_type(
    world: World, http: aiohttp.ClientSession
) -> None:
    assert len(await create(http, body(world.weekly, at(1), recurrenceCount=9))) == 3
    assert len(await create(http, body(world.weekly, at(2), recurrenceCount=2))) == 2


async def test_seats_fill_up_then_409_and_seat_cancel(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    first = await create(http, body(world.seated, at(1), "s1@example.org"))
    assert "seatUid" in first
    status, data = await call(
        http, "POST", "/v2/bookings", json=body(world.seated, at(1), "s1@example.org")
    )
    assert status == 400  # the same attendee twice
    second = await create(http, body(world.seated, at(1), "s2@example.org"))
    assert second["uid"] == first["uid"]
    assert [a["seatUid"] for a in second["attendees"]] == [first["seatUid"], second["seatUid"]]
    status, data = await call(
        http, "POST", "/v2/bookings", json=body(world.seated, at(1), "s3@example.org")
    )
    assert status == 409
    assert error_of(data) == {
        "code": "ConflictException",
        "message": "No more seats left at this seated booking.",
        "details": {
            "message": "No more seats left at this seated booking.",
            "error": "Conflict",
            "statusCode": 409,
        },
    }
    status, data = await call(
        http, "POST", f"/v2/bookings/{first['uid']}/cancel", json={"seatUid": first["seatUid"]}
    )
    assert status == 200
    assert [a["email"] for a in data["data"]["attendees"]] == ["s2@example.org"]
    assert data["data"]["status"] == "accepted"
    await create(http, body(world.seated, at(1), "s3@example.org"))


async def test_hidden_seats_for_anonymous_callers(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    seat = await create(http, body(world.hidden, at(1)))
    assert seat["attendees"]
    async with aiohttp.ClientSession(emu.base_url) as anonymous:
        status, data = await call(
            anonymous,
            "GET",
            f"/v2/bookings/{seat['uid']}",
            headers={"cal-api-version": API_VERSION},
        )
        assert status == 200
        assert data["data"]["attendees"] == []
        assert "bookingFieldsResponses" not in data["data"]


# -- reschedule and cancel ------------------------------------------------------------------------


async def test_reschedule_creates_a_new_booking_and_cancels_the_old(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    old = await create(http, body(world.regular, at(1), metadata={"k": "v"}))
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{old['uid']}/reschedule",
        json={"start": at(2), "reschedulingReason": "Clash", "rescheduledBy": "ann@example.org"},
    )
    assert status == 201
    new = data["data"]
    assert new["uid"] != old["uid"]
    assert new["rescheduledFromUid"] == old["uid"]
    assert new["reschedulingReason"] == "Clash"
    assert new["rescheduledByEmail"] == "ann@example.org"
    assert new["metadata"] == {"k": "v"}
    assert new["icsUid"] == old["icsUid"]
    moved = emu.get_booking(old["uid"])
    assert (moved["status"], moved["rescheduledToUid"]) == ("cancelled", new["uid"])
    assert emu.ledger.entries[-1].uids == (old["uid"], new["uid"])
    status, data = await call(
        http, "POST", f"/v2/bookings/{old['uid']}/reschedule", json={"start": at(3)}
    )
    assert status == 400
    assert f"rescheduled already to booking with uid={new['uid']}" in error_of(data)["message"]
    # The old slot is free again; moving onto one's own time is allowed.
    await create(http, body(world.regular, at(1), "b@example.org"))
    status, _ = await call(
        http, "POST", f"/v2/bookings/{new['uid']}/reschedule", json={"start": at(2, 10, 15)}
    )
    assert status == 201


async def test_reschedule_errors(world: World, http: aiohttp.ClientSession) -> None:
    status, data = await call(http, "POST", "/v2/bookings/nope/reschedule", json={"start": at(2)})
    assert status == 404
    assert error_of(data)["message"] == "Booking with uid=nope was not found in the database"
    booking = await create(http, body(world.regular, at(1)))
    await create(http, body(world.regular, at(2), "b@example.org"))
    uid = booking["uid"]
    status, data = await call(http, "POST", f"/v2/bookings/{uid}/reschedule", json={})
    assert status == 400
    status, data = await call(http, "POST", f"/v2/bookings/{uid}/reschedule", json={"start": at(2)})
    assert (status, error_of(data)["message"]) == (400, TAKEN)
    status, data = await call(
        http, "POST", f"/v2/bookings/{uid}/reschedule", json={"start": "2026-03-01T09:00:00Z"}
    )
    assert error_of(data)["message"] == "Attempting to book a meeting in the past."
    await call(http, "POST", f"/v2/bookings/{uid}/cancel", json={})
    status, data = await call(http, "POST", f"/v2/bookings/{uid}/reschedule", json={"start": at(3)})
    assert status == 400
    assert "because it has been cancelled" in error_of(data)["message"]


async def test_reschedule_one_seat(world: World, http: aiohttp.ClientSession) -> None:
    first = await create(http, body(world.seated, at(1), "s1@example.org"))
    await create(http, body(world.seated, at(1), "s2@example.org"))
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{first['uid']}/reschedule",
        json={"start": at(5), "seatUid": first["seatUid"]},
    )
    assert status == 201
    assert data["data"]["seatUid"] == first["seatUid"]
    assert data["data"]["uid"] != first["uid"]
    status, data = await call(http, "GET", f"/v2/bookings/{first['uid']}")
    assert [a["email"] for a in data["data"]["attendees"]] == ["s2@example.org"]


async def test_cancel_twice_and_anonymously(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    booking = await create(http, body(world.regular, at(1)))
    uid = booking["uid"]
    async with aiohttp.ClientSession(emu.base_url) as anonymous:
        status, data = await call(
            anonymous,
            "POST",
            f"/v2/bookings/{uid}/cancel",
            json={"cancellationReason": "Changed plans"},
            headers={"cal-api-version": API_VERSION},
        )
    assert status == 200
    assert data["data"]["status"] == "cancelled"
    assert data["data"]["cancellationReason"] == "Changed plans"
    assert data["data"]["cancelledByEmail"] == "ann@example.org"
    status, data = await call(http, "POST", f"/v2/bookings/{uid}/cancel", json={})
    assert status == 400
    assert "has been cancelled already" in error_of(data)["message"]
    status, data = await call(http, "POST", "/v2/bookings/nope/cancel", json={})
    assert status == 404
    assert emu.ledger.count(operation="cancel", uid=uid) == 1


# -- the owner-only operations -------------------------------------------------------------------


async def test_mark_absent(world: World, http: aiohttp.ClientSession) -> None:
    booking = await create(http, body(world.regular, at(1)))
    uid = booking["uid"]
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{uid}/mark-absent",
        json={"host": True, "attendees": [{"email": "ann@example.org", "absent": True}]},
    )
    assert status == 200
    assert data["data"]["absentHost"] is True
    assert data["data"]["attendees"][0]["absent"] is True
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{uid}/mark-absent",
        json={"attendees": [{"email": "who@example.org", "absent": True}]},
    )
    assert status == 400
    status, data = await call(
        http, "POST", f"/v2/bookings/{uid}/mark-absent", json={"attendees": [{"email": 1}]}
    )
    assert status == 400
    assert error_of(data)["message"] == "Bad Request Exception"


async def test_reassign_round_robin(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    booking = await create(http, body(world.demo, at(1)))
    first_host = booking["hosts"][0]["id"]
    status, data = await call(http, "POST", f"/v2/bookings/{booking['uid']}/reassign")
    assert status == 200
    moved_to = data["data"]["reassignedTo"]
    assert data["data"]["bookingUid"] == booking["uid"]
    assert set(moved_to) == {"id", "name", "email", "displayEmail"}
    assert moved_to["id"] != first_host
    assert emu.get_booking(booking["uid"])["hosts"][0]["id"] == moved_to["id"]
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{booking['uid']}/reassign/{world.third}",
        json={"reason": "Vacation"},
    )
    assert (status, data["data"]["reassignedTo"]["id"]) == (200, world.third)
    status, data = await call(http, "POST", f"/v2/bookings/{booking['uid']}/reassign/999", json={})
    assert status == 404
    outsider = emu.add_user(name="Out Sider")
    status, data = await call(
        http, "POST", f"/v2/bookings/{booking['uid']}/reassign/{outsider}", json={}
    )
    assert status == 400
    status, data = await call(http, "POST", f"/v2/bookings/{booking['uid']}/reassign/abc", json={})
    assert status == 400
    assert error_of(data)["message"] == "Validation failed (numeric string is expected)"
    plain = await create(http, body(world.regular, at(2)))
    status, data = await call(http, "POST", f"/v2/bookings/{plain['uid']}/reassign")
    assert status == 400
    assert "round robin" in error_of(data)["message"]
    operations = [e.operation for e in emu.ledger.entries]
    assert operations == ["create", "reassign", "reassign_to_user", "create"]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ({"type": "address", "address": "Main St 1"}, "Main St 1"),
        ({"type": "attendeeAddress", "address": "Side St 2"}, "Side St 2"),
        ({"type": "attendeeDefined", "location": "Café"}, "Café"),
        ({"type": "attendeePhone", "phone": "+15550001"}, "+15550001"),
        ({"type": "link", "link": "https://meet.example.org/x"}, "https://meet.example.org/x"),
        ({"type": "phone", "phone": "+15550002"}, "+15550002"),
    ],
)
async def test_update_location(
    world: World, http: aiohttp.ClientSession, location: dict[str, str], expected: str
) -> None:
    booking = await create(http, body(world.regular, at(1)))
    status, data = await call(
        http, "PATCH", f"/v2/bookings/{booking['uid']}/location", json={"location": location}
    )
    assert status == 200
    assert data["data"]["location"] == expected


async def test_update_location_needs_a_location(world: World, http: aiohttp.ClientSession) -> None:
    booking = await create(http, body(world.regular, at(1)))
    for payload in ({}, {"location": {"type": "link"}}):
        status, data = await call(
            http, "PATCH", f"/v2/bookings/{booking['uid']}/location", json=payload
        )
        assert status == 400
        assert error_of(data)["message"] == "Bad Request Exception"


async def test_add_guests_and_the_limits(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    booking = await create(http, body(world.regular, at(1), guests=["g0@example.org"]))
    uid = booking["uid"]
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{uid}/guests",
        json={
            "guests": [
                {"email": "g1@example.org", "name": "Guest One"},
                {"email": "g0@example.org"},
            ]
        },
    )
    assert status == 200
    assert data["data"]["guests"] == ["g0@example.org", "g1@example.org"]
    assert [a["email"] for a in data["data"]["attendees"]][-1] == "g1@example.org"
    eleven = [{"email": f"x{i}@example.org"} for i in range(11)]
    status, data = await call(http, "POST", f"/v2/bookings/{uid}/guests", json={"guests": eleven})
    assert status == 400
    assert "arrayMaxSize" in str(error_of(data)["details"])
    for batch in range(2):
        ten = [{"email": f"b{batch}-{i}@example.org"} for i in range(10)]
        status, _ = await call(http, "POST", f"/v2/bookings/{uid}/guests", json={"guests": ten})
        assert status == 200
    status, data = await call(
        http, "POST", f"/v2/bookings/{uid}/guests", json={"guests": eleven[:9]}
    )
    assert status == 400
    assert "at most 30 guests" in error_of(data)["message"]
    assert emu.ledger.count(operation="add_guests", uid=uid) == 3


async def test_auxiliary_outputs(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    past = emu.add_booking(event_type_id=world.regular, start=NOW - timedelta(days=2))
    future = (await create(http, body(world.regular, at(1))))["uid"]
    status, data = await call(http, "GET", f"/v2/bookings/{future}/calendar-links")
    assert status == 200
    assert [link["label"] for link in data["data"]] == [
        "Google Calendar",
        "Microsoft Office",
        "Microsoft Outlook",
        "ICS",
    ]
    status, data = await call(http, "GET", f"/v2/bookings/{past}/recordings")
    assert data["data"][0]["roomName"].startswith("cal-video-")
    status, data = await call(http, "GET", f"/v2/bookings/{future}/recordings")
    assert data["data"] == []
    status, data = await call(http, "GET", f"/v2/bookings/{past}/transcripts")
    assert data["data"][0].startswith("https://")
    status, data = await call(http, "GET", f"/v2/bookings/{past}/conferencing-sessions")
    assert data["data"][0]["participants"]
    status, data = await call(
        http, "GET", f"/v2/bookings/{past}/references", params={"type": "zoom_video"}
    )
    assert (status, data["data"]) == (200, [])
    status, data = await call(
        http, "GET", f"/v2/bookings/{past}/references", params={"type": "carrier_pigeon"}
    )
    assert status == 400
    async with aiohttp.ClientSession(emu.base_url) as anonymous:
        status, data = await call(
            anonymous,
            "GET",
            f"/v2/bookings/{past}/recordings",
            headers={"cal-api-version": API_VERSION},
        )
        # Recordings need credentials and the organizer's or an admin's rights (API-NOTES §13).
        assert (status, error_of(data)["code"]) == (401, "UnauthorizedException")


# -- listings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "take", "skip", "expected"),
    [
        (0, 10, 0, (0, 0, 0, 10, 0, 0, False, False)),
        (0, 2, 9, (0, 0, 0, 2, 0, 0, False, False)),
        (5, 2, 2, (5, 1, 2, 2, 2, 3, True, True)),
        (5, 10, 0, (5, 0, 5, 10, 1, 1, False, False)),
        (5, 2, 9, (5, 0, 0, 2, 3, 3, False, True)),
        (10, 3, 4, (10, 3, 3, 3, 2, 4, True, True)),
        (250, 250, 0, (250, 0, 250, 250, 1, 1, False, False)),
        (251, 250, 250, (251, 0, 1, 250, 2, 2, False, True)),
        (100, 100, 99, (100, 0, 1, 100, 1, 1, False, True)),
    ],
)
def test_pagination_math_matches_section_9(
    total: int, take: int, skip: int, expected: tuple[Any, ...]
) -> None:
    keys = (
        "totalItems",
        "remainingItems",
        "returnedItems",
        "itemsPerPage",
        "currentPage",
        "totalPages",
        "hasNextPage",
        "hasPreviousPage",
    )
    assert pagination(total, take, skip) == dict(zip(keys, expected, strict=True))


async def test_listing_pages_walk_every_booking_once(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    emu.seed(bookings=230, anchor=NOW)
    seen: list[str] = []
    skip = 0
    while True:
        status, data = await call(
            http, "GET", "/v2/bookings", params={"take": "100", "skip": str(skip)}
        )
        assert status == 200
        seen.extend(b["uid"] for b in data["data"])
        page = data["pagination"]
        assert page["returnedItems"] == len(data["data"])
        if not page["hasNextPage"]:
            break
        skip += page["returnedItems"]
    assert len(seen) == len(set(seen)) == 230
    status, data = await call(http, "GET", "/v2/bookings", params={"take": "100", "skip": "500"})
    assert data["data"] == []
    assert data["pagination"]["hasPreviousPage"] is True
    status, data = await call(http, "GET", "/v2/bookings", params={"take": "250"})
    assert data["pagination"]["returnedItems"] == 230
    status, data = await call(http, "GET", "/v2/bookings", params={"attendeeEmail": "x@y.z"})
    assert data["pagination"]["totalItems"] == 0
    assert data["pagination"]["currentPage"] == 0


@pytest.mark.parametrize(
    ("params", "property_name"),
    [
        ({"take": "0"}, "take"),
        ({"take": "251"}, "take"),
        ({"take": "many"}, "take"),
        ({"skip": "-1"}, "skip"),
        ({"status": "upcoming,booked"}, "status"),
        ({"afterStart": "tomorrow"}, "afterStart"),
        ({"beforeEnd": "2026-02-30"}, "beforeEnd"),
        ({"afterCreatedAt": "2026-13-01T00:00:00Z"}, "afterCreatedAt"),
        ({"beforeCreatedAt": "2026-01-01T25:00:00Z"}, "beforeCreatedAt"),
        ({"afterUpdatedAt": "1 Jan 2026"}, "afterUpdatedAt"),
        ({"beforeUpdatedAt": "2026-01-01T00:00:00+25:00"}, "beforeUpdatedAt"),
        ({"sortStart": "up"}, "sortStart"),
        ({"sortEnd": "down"}, "sortEnd"),
        ({"sortCreated": "ASC"}, "sortCreated"),
        ({"sortUpdatedAt": "x"}, "sortUpdatedAt"),
        ({"eventTypeIds": "1,x"}, "eventTypeIds"),
        ({"eventTypeId": "1.5"}, "eventTypeId"),
        ({"teamsIds": "y"}, "teamsIds"),
        ({"teamId": "z"}, "teamId"),
    ],
)
async def test_listing_query_validation(
    http: aiohttp.ClientSession, params: dict[str, str], property_name: str
) -> None:
    status, data = await call(http, "GET", "/v2/bookings", params=params)
    assert status == 400
    error = error_of(data)
    assert error["message"] == "Bad Request Exception"
    assert [e["property"] for e in error["details"]["errors"]] == [property_name]
    assert data["path"].startswith("/v2/bookings?")


async def test_listing_filters_and_sorts(
    emu: CalEmulator, clock: FakeClock, world: World, http: aiohttp.ClientSession
) -> None:
    a = await create(http, body(world.regular, at(1), "lead+tag@example.org"))
    clock.advance(60)
    b = await create(http, body(world.demo, at(2), "bob@example.org"))
    clock.advance(60)
    c = await create(http, body(world.confirm, at(3), "cat@example.org"))
    clock.advance(60)
    series = await create(http, body(world.weekly, at(4), "rex@example.org"))
    d = emu.add_booking(
        event_type_id=world.regular, start=NOW - timedelta(days=5), attendee_email="old@example.org"
    )
    e = await create(http, body(world.regular, at(5), "eve@example.org"))
    await call(http, "POST", f"/v2/bookings/{e['uid']}/cancel", json={})

    async def uids(**params: str) -> list[str]:
        status, data = await call(http, "GET", "/v2/bookings", params=params)
        assert status == 200, data
        return [item["uid"] for item in data["data"]]

    everything = await uids()
    assert len(everything) == 8
    assert everything[0] == d  # start ascending by default
    assert await uids(status="past") == [d]
    assert await uids(status="cancelled") == [e["uid"]]
    assert await uids(status="unconfirmed") == [c["uid"]]
    assert await uids(status="recurring") == [s["uid"] for s in series]
    assert d not in await uids(status="upcoming")
    assert set(await uids(status="past,cancelled")) == {d, e["uid"]}
    # An unencoded "+" arrives as a space and is turned back into "+".
    async with http.get("/v2/bookings?attendeeEmail=lead+tag@example.org") as response:
        assert [x["uid"] for x in (await response.json())["data"]] == [a["uid"]]
    assert await uids(attendeeName="Ann Attendee", status="unconfirmed") == [c["uid"]]
    assert await uids(bookingUid=b["uid"]) == [b["uid"]]
    assert await uids(eventTypeIds=f"{world.confirm},{world.demo}") == [b["uid"], c["uid"]]
    assert await uids(eventTypeId=str(world.demo)) == [b["uid"]]
    assert await uids(eventTypeIds=str(world.confirm), eventTypeId=str(world.demo)) == [c["uid"]]
    assert await uids(teamsIds=str(world.team)) == [b["uid"]]
    assert await uids(teamId=str(world.team)) == [b["uid"]]
    assert await uids(afterStart=at(3), beforeEnd=at(4, 11)) == [c["uid"], series[0]["uid"]]
    created_after = (NOW + timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert b["uid"] not in await uids(afterCreatedAt=created_after)
    assert await uids(beforeCreatedAt="2026-03-02T12:00:00.000Z", status="upcoming") == [a["uid"]]
    assert e["uid"] in await uids(afterUpdatedAt="2026-03-02T12:03:00Z")
    assert await uids(beforeUpdatedAt="2026-03-02T12:00:30Z", status="upcoming") == [a["uid"]]
    assert (await uids(sortStart="desc"))[-1] == d
    assert (await uids(sortEnd="desc"))[0] == series[-1]["uid"]
    assert (await uids(sortCreated="asc"))[0] == a["uid"]
    assert (await uids(sortUpdatedAt="desc"))[0] == e["uid"]
    # Only the first sort parameter applies; unknown parameters are ignored.
    assert await uids(sortStart="desc", sortEnd="asc", teamIds="99") == await uids(sortStart="desc")


async def test_listing_uses_a_cached_filtered_list(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    emu.seed(bookings=50, anchor=NOW)
    calls = 0
    original = emu.store._matching

    def counting(query: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(query)

    emu.store._matching = counting  # type: ignore[method-assign,assignment]
    for skip in range(0, 50, 10):
        await call(http, "GET", "/v2/bookings", params={"take": "10", "skip": str(skip)})
    assert calls == 1
    uid = next(iter(emu.bookings))
    await call(http, "POST", f"/v2/bookings/{uid}/cancel", json={})
    await call(http, "GET", "/v2/bookings", params={"take": "10"})
    assert calls == 2


async def test_org_listings(emu: CalEmulator, world: World, http: aiohttp.ClientSession) -> None:
    mine = await create(http, body(world.regular, at(1)))
    team_booking = await create(http, body(world.demo, at(2)))
    theirs = await create(http, body(world.other_regular, at(3)))
    bare = {"Authorization": f"Bearer {emu.api_key}"}  # org listings need no version header
    status, data = await call(
        http,
        "GET",
        "/v2/organizations/1/bookings",
        params={"userIds": str(world.second)},
        headers=bare,
    )
    assert status == 200
    assert theirs["uid"] in [b["uid"] for b in data["data"]]
    assert mine["uid"] not in [b["uid"] for b in data["data"]]
    status, data = await call(
        http, "GET", f"/v2/organizations/1/teams/{world.team}/bookings", headers=bare
    )
    assert [b["uid"] for b in data["data"]] == [team_booking["uid"]]
    status, data = await call(
        http,
        "GET",
        f"/v2/organizations/1/teams/{world.team}/bookings/{team_booking['uid']}/references",
    )
    assert status == 200
    status, _ = await call(
        http, "GET", f"/v2/organizations/1/teams/{world.team}/bookings/{mine['uid']}/references"
    )
    assert status == 404
    status, data = await call(http, "GET", f"/v2/organizations/1/users/{world.host}/bookings")
    assert {b["uid"] for b in data["data"]} >= {mine["uid"]}
    assert theirs["uid"] not in {b["uid"] for b in data["data"]}
    status, data = await call(http, "GET", "/v2/organizations/2/bookings")
    assert status == 403
    status, _ = await call(http, "GET", "/v2/organizations/1/teams/77/bookings")
    assert status == 404
    status, _ = await call(http, "GET", "/v2/organizations/1/users/77/bookings")
    assert status == 404


# -- versions, routing and envelopes ---------------------------------------------------------------


async def test_without_the_version_header_the_legacy_api_answers(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    booking = await create(http, body(world.regular, at(1)))
    uid = booking["uid"]
    legacy = {"Authorization": f"Bearer {emu.api_key}"}
    async with aiohttp.ClientSession(emu.base_url, headers=legacy) as old:
        status, data = await call(old, "GET", f"/v2/bookings/{uid}")
        assert status == 200
        assert data["data"]["startTime"] == booking["start"]
        assert "start" not in data["data"]
        assert data["data"]["status"] == "ACCEPTED"
        status, data = await call(old, "GET", "/v2/bookings")
        assert set(data["data"]) == {"bookings", "recurringInfo", "nextCursor"}
        status, data = await call(old, "POST", "/v2/bookings", json=body(world.regular, at(2)))
        assert status == 400
        assert {e["property"] for e in error_of(data)["details"]["errors"]} >= {"timeZone"}
        legacy_create = {
            "start": at(2),
            "eventTypeId": world.regular,
            "timeZone": "Europe/Rome",
            "language": "en",
            "metadata": {},
            "responses": {"name": "Leg Acy", "email": "legacy@example.org"},
        }
        status, data = await call(old, "POST", "/v2/bookings", json=legacy_create)
        assert (status, data["data"]["endTime"][:10]) == (201, at(2)[:10])
        status, data = await call(old, "POST", f"/v2/bookings/{uid}/cancel", json={})
        assert (status, data["data"]["bookingUid"]) == (200, uid)
        for method, suffix in (
            ("POST", "/reschedule"),
            ("POST", "/confirm"),
            ("POST", "/decline"),
            ("POST", "/mark-absent"),
            ("POST", "/reassign"),
            ("POST", "/guests"),
            ("PATCH", "/location"),
            ("GET", "/calendar-links"),
            ("GET", "/references"),
            ("GET", "/recordings"),
            ("GET", "/transcripts"),
            ("GET", "/conferencing-sessions"),
        ):
            status, data = await call(old, method, f"/v2/bookings/{uid}{suffix}")
            assert status == 404
            assert error_of(data)["message"] == f"Cannot {method} /v2/bookings/{uid}{suffix}"
        status, _ = await call(old, "GET", "/v2/organizations/1/bookings")
        assert status == 200
        status, data = await call(
            old, "GET", f"/v2/bookings/{uid}", headers={"cal-api-version": "2024-06-14"}
        )
        assert "startTime" in data["data"]
        status, _ = await call(
            old, "GET", "/v2/bookings", headers={"cal-api-version": "2024-09-04"}
        )
        assert status == 404
    assert [e.operation for e in emu.ledger.entries] == ["create", "legacy_create", "legacy_cancel"]


async def test_unknown_routes_and_request_ids(http: aiohttp.ClientSession) -> None:
    async with http.get("/v2/nope?x=1") as response:
        assert response.status == 404
        data = await response.json()
        assert error_of(data)["message"] == "Cannot GET /v2/nope?x=1"
        assert data["path"] == "/v2/nope?x=1"
        assert response.headers["X-Request-Id"]
    async with http.delete("/v2/bookings/abc", headers={"X-Request-Id": "req-42"}) as response:
        assert response.status == 404
        # The server's own uuid per request, never the client's (API-NOTES §7).
        own_id = response.headers["X-Request-Id"]
        assert UUID_RE.match(own_id)
        assert own_id != "req-42"
    async with http.delete("/v2/bookings/abc", headers={"X-Request-Id": "req-42"}) as response:
        assert UUID_RE.match(response.headers["X-Request-Id"])
        assert response.headers["X-Request-Id"] != own_id
    async with http.get("/v2/bookings/abc%20def") as response:
        data = await response.json()
        assert error_of(data)["message"] == "Booking with uid=abc def was not found in the database"
        assert data["path"] == "/v2/bookings/abc%20def"
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"


# -- authentication --------------------------------------------------------------------------------


async def test_authentication_rules(emu: CalEmulator, clock: FakeClock, world: World) -> None:
    emu.add_access_token("tok-live", expires_in=60)
    emu.add_access_token("tok-dead", expires_in=0)
    emu.add_oauth_client("client-1", "secret-1")
    emu.add_api_key("cal_expiring", expires_in=30)
    base = {"cal-api-version": API_VERSION}
    async with aiohttp.ClientSession(emu.base_url, headers=base) as s:

        async def status_of(headers: dict[str, str], path: str = "/v2/bookings") -> tuple[int, Any]:
            return await call(s, "GET", path, headers=headers)

        assert (await status_of({"Authorization": "Bearer tok-live"}))[0] == 200
        status, data = await status_of({"Authorization": "Bearer tok-unknown"})
        assert (status, error_of(data)["message"]) == (401, "Invalid Access Token.")
        status, data = await status_of({"Authorization": "Bearer tok-dead"})
        assert status == 498
        assert error_of(data) == {
            "code": "TokenExpiredException",
            "message": "ACCESS_TOKEN_IS_EXPIRED",
            "details": "ACCESS_TOKEN_IS_EXPIRED",
        }
        clock.advance(61)
        assert (await status_of({"Authorization": "Bearer tok-live"}))[0] == 498
        status, data = await status_of({"Authorization": "Bearer cal_unknown"})
        assert (status, error_of(data)["message"]) == (
            401,
            "CustomThrottlerGuard - Invalid API Key",
        )
        status, data = await status_of({"Authorization": "Bearer cal_expiring"})
        assert (status, error_of(data)["message"]) == (401, "Your api key is expired")
        client = {"x-cal-client-id": "client-1", "x-cal-secret-key": "secret-1"}
        assert (await status_of(client))[0] == 200
        # Client credentials are checked first and win over a bad bearer token.
        assert (await status_of({**client, "Authorization": "Bearer tok-unknown"}))[0] == 200
        status, _ = await status_of({**client, "x-cal-secret-key": "wrong"})
        assert status == 401
        status, data = await status_of({})
        assert (status, error_of(data)["code"]) == (401, "UnauthorizedException")
        # Anonymous is fine where the spec's guard is optional.
        booking = await create(s, body(world.regular, at(1)))
        assert (await status_of({}, f"/v2/bookings/{booking['uid']}"))[0] == 200
        status, _ = await call(s, "POST", f"/v2/bookings/{booking['uid']}/confirm")
        assert status == 401


async def test_user_bound_credentials_see_their_own_bookings(
    emu: CalEmulator, world: World, http: aiohttp.ClientSession
) -> None:
    mine = await create(http, body(world.regular, at(1)))
    theirs = await create(http, body(world.other_regular, at(1)))
    emu.add_api_key("cal_hana", user_id=world.host)
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers(token="cal_hana")) as hana:
        status, data = await call(hana, "GET", "/v2/bookings")
        assert [b["uid"] for b in data["data"]] == [mine["uid"]]
        status, data = await call(hana, "POST", f"/v2/bookings/{theirs['uid']}/confirm")
        assert (status, error_of(data)["code"]) == (403, "ForbiddenException")
        status, data = await call(hana, "GET", "/v2/organizations/1/bookings")
        assert status == 403


# -- seeding and state access ----------------------------------------------------------------------


def test_seeding_is_deterministic_and_covers_every_kind() -> None:
    def snapshot(seed: int) -> list[dict[str, Any]]:
        emulator = CalEmulator(seed=seed, wall_clock=NOW.timestamp)
        summary = emulator.seed(bookings=400, anchor=NOW)
        assert len(summary.booking_uids) == 400 == len(emulator.bookings)
        assert set(summary.kinds) >= {
            "regular",
            "pending",
            "cancelled",
            "rejected",
            "recurring",
            "seated",
            "recurring_seated",
            "round_robin",
            "rescheduled",
            "instant",
        }
        return [emulator.get_booking(uid) for uid in summary.booking_uids]

    first = snapshot(3)
    assert first == snapshot(3)
    assert first != snapshot(4)
    statuses = {b["status"] for b in first}
    assert statuses >= {"accepted", "pending", "cancelled", "rejected", "awaiting_host"}
    starts = [b["start"] for b in first]
    assert min(starts) < "2026-03-02" < max(starts)
    assert any("seatUid" in a for b in first for a in b["attendees"])
    series: dict[str, int] = {}
    for b in first:
        if "recurringBookingUid" in b:
            series[b["recurringBookingUid"]] = series.get(b["recurringBookingUid"], 0) + 1
    assert series
    assert min(series.values()) >= 3


async def test_hundred_thousand_bookings_seed_and_page(clock: FakeClock) -> None:
    emulator = CalEmulator(seed=1, wall_clock=clock.wall, rate_limit=None)
    summary = emulator.seed(bookings=100_000)
    assert len(summary.booking_uids) == 100_000
    async with (
        emulator,
        aiohttp.ClientSession(emulator.base_url, headers=emulator.headers()) as http,
    ):
        for skip in (0, 50_000, 99_900):
            status, data = await call(
                http, "GET", "/v2/bookings", params={"take": "250", "skip": str(skip)}
            )
            assert status == 200
            assert data["pagination"]["totalItems"] == 100_000
        assert data["pagination"]["returnedItems"] == 100


def test_state_access_returns_copies(emu: CalEmulator, world: World) -> None:
    uid = emu.add_booking(event_type_id=world.regular, start=at(1), status="pending")
    booking = emu.bookings[uid]
    assert booking["status"] == "pending"
    booking["status"] = "mutated"
    assert emu.get_booking(uid)["status"] == "pending"
    assert uid in emu.bookings
    with pytest.raises(KeyError):
        emu.get_booking("missing")
    emu.update_booking(uid, rating=5, description=None)
    assert (emu.get_booking(uid)["rating"], emu.get_booking(uid)["description"]) == (5, None)
    with pytest.raises(AttributeError):
        emu.update_booking(uid, nonsense=1)

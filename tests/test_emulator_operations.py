"""The emulator's operations added since January 2026 (API-NOTES §13), and what changed.

By seat, attendees (integer ids, seated refusal, the primary attendee kept), request reschedule,
routing trace, email verification (codes read from the emulator), organization report and block,
the named per-route throttles (stepped through with a ManualClock), the ``integration`` location,
seated create metadata, the request log hook, and the seeded ids. All over real HTTP on loopback
with a plain aiohttp client; time never passes unless a test advances the clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest

from calbookings_async.testing import (
    ROUTE_THROTTLES,
    UNSAFE_OPERATIONS,
    CalEmulator,
    ManualClock,
    RateLimit,
    RequestRecord,
    named_route_limits,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
NOT_AUTHORIZED = "User with id={} is not authorized to access booking with uid={}"


def at(days: int, hour: int = 10) -> str:
    return (NOW + timedelta(days=days)).replace(hour=hour).strftime("%Y-%m-%dT%H:%M:%SZ")


def person(email: str, **extra: Any) -> dict[str, Any]:
    return {"name": email.split("@")[0].title(), "email": email, "timeZone": "Europe/Rome", **extra}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=NOW)


@pytest.fixture
async def emu(clock: ManualClock) -> AsyncIterator[CalEmulator]:
    async with CalEmulator(seed=4, clock=clock, rate_limit=None) as emulator:
        yield emulator


@pytest.fixture
async def http(emu: CalEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    async with http.request(method, path, **kwargs) as response:
        return response.status, await response.json()


async def book(http: aiohttp.ClientSession, event_type: int, start: str, **extra: Any) -> Any:
    payload = {"start": start, "eventTypeId": event_type, "attendee": person("ann@example.org")}
    status, data = await call(http, "POST", "/v2/bookings", json={**payload, **extra})
    assert status == 201, data
    return data["data"]


def message(payload: Any) -> str:
    assert payload["status"] == "error"
    text: str = payload["error"]["message"]
    return text


# -- by seat ---------------------------------------------------------------------------------------


async def test_by_seat_finds_the_seats_booking_until_the_seat_is_gone(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    seated = emu.add_event_type(slug="workshop", seats=3)
    first = await book(http, seated, at(1))
    second = await book(http, seated, at(1), attendee=person("bo@example.org"))
    status, data = await call(http, "GET", f"/v2/bookings/by-seat/{second['seatUid']}")
    assert (status, data["data"]["uid"]) == (200, first["uid"])
    assert [a["seatUid"] for a in data["data"]["attendees"]] == [
        first["seatUid"],
        second["seatUid"],
    ]
    await call(
        http, "POST", f"/v2/bookings/{first['uid']}/cancel", json={"seatUid": second["seatUid"]}
    )
    status, data = await call(http, "GET", f"/v2/bookings/by-seat/{second['seatUid']}")
    assert (status, message(data)) == (
        404,
        f"Booking with seatUid={second['seatUid']} was not found in the database",
    )


# -- attendees -------------------------------------------------------------------------------------


async def test_attendees_have_integer_ids_and_can_be_added_and_removed(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    regular = emu.add_event_type(slug="intro")
    booking = await book(http, regular, at(1), guests=["gus@example.org"])
    uid = booking["uid"]
    status, data = await call(http, "GET", f"/v2/bookings/{uid}/attendees")
    assert status == 200
    ann, gus = data["data"]
    assert (ann["email"], gus["email"]) == ("ann@example.org", "gus@example.org")
    assert isinstance(ann["id"], int)
    assert gus["id"] == ann["id"] + 1
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{uid}/attendees",
        json=person("ada@example.org", language="it", phoneNumber="+393331234567"),
    )
    assert status == 201
    added = data["data"]
    assert added == {
        "name": "Ada",
        "email": "ada@example.org",
        "displayEmail": "ada@example.org",
        "timeZone": "Europe/Rome",
        "language": "it",
        "absent": False,
        "phoneNumber": "+393331234567",
        "id": gus["id"] + 1,
        "bookingId": booking["id"],
    }
    status, data = await call(http, "GET", f"/v2/bookings/{uid}/attendees/{added['id']}")
    assert data["data"] == {k: v for k, v in added.items() if k != "bookingId"}
    assert [a["email"] for a in emu.get_booking(uid)["attendees"]][-1] == "ada@example.org"
    status, data = await call(http, "DELETE", f"/v2/bookings/{uid}/attendees/{gus['id']}")
    assert (status, data["data"]) == (
        200,
        {
            "id": gus["id"],
            "bookingId": booking["id"],
            "name": "",
            "email": "gus@example.org",
            "timeZone": "Europe/Rome",
        },
    )
    after = emu.get_booking(uid)
    assert [a["email"] for a in after["attendees"]] == ["ann@example.org", "ada@example.org"]
    assert after["guests"] == []
    operations = [e.operation for e in emu.ledger.entries]
    assert operations == ["create", "add_attendee", "remove_attendee"]


async def test_a_repeated_add_attendee_is_a_ledger_duplicate(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    uid = (await book(http, emu.add_event_type(slug="intro"), at(1)))["uid"]
    for _ in range(2):
        status, _ = await call(
            http, "POST", f"/v2/bookings/{uid}/attendees", json=person("ada@example.org")
        )
        assert status == 201
    assert [a["email"] for a in emu.get_booking(uid)["attendees"]] == [
        "ann@example.org",
        "ada@example.org",
        "ada@example.org",
    ]
    assert "add_attendee" in UNSAFE_OPERATIONS
    ((key, entries),) = emu.ledger.duplicates().items()
    assert key == ("add_attendee", uid, "ada@example.org")
    assert [e.operation for e in entries] == ["add_attendee", "add_attendee"]


async def test_attendee_refusals(emu: CalEmulator, http: aiohttp.ClientSession) -> None:
    regular = emu.add_event_type(slug="intro")
    seated = emu.add_event_type(slug="workshop", seats=2)
    booking = await book(http, regular, at(1))
    uid = booking["uid"]
    primary = emu.booking_record(uid).attendees[0].id
    status, data = await call(http, "DELETE", f"/v2/bookings/{uid}/attendees/{primary}")
    assert (status, message(data)) == (
        400,
        f"The primary attendee of booking with uid={uid} can't be removed; cancel the booking "
        "instead.",
    )
    status, data = await call(http, "GET", f"/v2/bookings/{uid}/attendees/999")
    assert (status, message(data)) == (404, f"Attendee with id=999 not found in booking {uid}")
    status, data = await call(http, "GET", f"/v2/bookings/{uid}/attendees/abc")
    assert (status, message(data)) == (400, "Validation failed (numeric string is expected)")
    status, data = await call(
        http, "POST", f"/v2/bookings/{uid}/attendees", json={"email": "x", "name": "X"}
    )
    assert status == 400
    problems = {e["property"]: e["constraints"] for e in data["error"]["details"]["errors"]}
    assert problems == {
        "email": {"isEmail": "email must be an email"},
        "timeZone": {"isTimeZone": "timeZone must be a valid IANA time-zone"},
    }
    seat = await book(http, seated, at(2))
    status, data = await call(
        http, "POST", f"/v2/bookings/{seat['uid']}/attendees", json=person("s@example.org")
    )
    assert (status, message(data)) == (
        400,
        f"Booking with uid={seat['uid']} is a seated booking: attendees can't be added to it; "
        "book a seat instead.",
    )
    await call(http, "POST", f"/v2/bookings/{uid}/cancel", json={})
    status, data = await call(
        http, "POST", f"/v2/bookings/{uid}/attendees", json=person("late@example.org")
    )
    assert (status, message(data)) == (400, f"Booking with uid={uid} is cancelled or rejected.")
    assert emu.ledger.count(operation="add_attendee") == 0


async def test_attendees_of_other_peoples_bookings_are_forbidden(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    host = emu.add_user(name="Hana Host", username="hana")
    other = emu.add_user(name="Olga Other", username="olga", email="olga@example.org")
    uid = (await book(http, emu.add_event_type(slug="intro", owner_id=host), at(1)))["uid"]
    emu.add_api_key("cal_olga", user_id=other)
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers(token="cal_olga")) as olga:
        status, data = await call(olga, "GET", f"/v2/bookings/{uid}/attendees")
        assert (status, message(data)) == (403, NOT_AUTHORIZED.format(other, uid))
        await call(http, "POST", f"/v2/bookings/{uid}/attendees", json=person("olga@example.org"))
        # Once she attends the booking, she may read its attendees.
        status, data = await call(olga, "GET", f"/v2/bookings/{uid}/attendees")
        assert (status, len(data["data"])) == (200, 2)


# -- request reschedule ----------------------------------------------------------------------------


async def test_request_reschedule_cancels_with_the_reason_and_answers_no_data(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    uid = (await book(http, emu.add_event_type(slug="intro"), at(1)))["uid"]
    path = f"/v2/bookings/{uid}/request-reschedule"
    status, data = await call(http, "POST", path, json={"rescheduleReason": "Host is ill"})
    assert (status, data) == (200, {"status": "success"})
    booking = emu.get_booking(uid)
    assert (booking["status"], booking["cancellationReason"]) == ("cancelled", "Host is ill")
    assert booking["cancelledByEmail"] == "owner@example.com"
    assert emu.booking_record(uid).rescheduled is True
    status, data = await call(http, "POST", path, json={})
    assert (status, message(data)) == (
        400,
        f"Can't request reschedule of booking with uid={uid} because it has been cancelled "
        "already.",
    )
    status, data = await call(http, "POST", path, json={"rescheduleReason": 5})
    assert status == 400
    assert emu.ledger.count(operation="request_reschedule", uid=uid) == 1


# -- routing trace ---------------------------------------------------------------------------------


async def test_routing_trace_of_a_routed_and_an_unrouted_booking(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    host = emu.add_user(name="Hana Host", username="hana")
    team = emu.add_team(slug="sales")
    demo = emu.add_event_type(
        slug="demo", team_id=team, scheduling_type="ROUND_ROBIN", host_ids=[host]
    )
    routed = await book(http, demo, at(1), routing={"responseId": 7, "teamMemberIds": [host]})
    plain = await book(http, demo, at(2))
    status, data = await call(http, "GET", f"/v2/bookings/{plain['uid']}/routing-trace")
    assert (status, data["data"]) == (200, {"steps": [], "groups": [], "formSubmission": None})
    status, data = await call(http, "GET", f"/v2/bookings/{routed['uid']}/routing-trace")
    trace = data["data"]
    created = int(NOW.timestamp() * 1000)
    assert [(s["step"], s["message"], s["timestamp"]) for s in trace["steps"]] == [
        ("form_response_received", "Routing form response 7 received", created),
        ("host_selected", "Host selected: Hana Host", created),
    ]
    assert [(g["round"], len(g["steps"])) for g in trace["groups"]] == [
        ("Routing form", 1),
        ("Host selection", 1),
    ]
    assert trace["formSubmission"] == {
        "form": {"name": "Routing form"},
        "responses": [{"fieldId": "responseId", "label": "Response", "displayValue": "7"}],
    }


# -- email verification ----------------------------------------------------------------------------


async def test_email_verification_codes_are_readable_and_required_by_the_event_type(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    verify = "/v2/bookings/verification/email"
    guarded = emu.add_event_type(slug="verified", requires_email_verification=True)
    check = f"{verify}/check"
    status, data = await call(http, "GET", check, params={"email": "Owner+x@example.com"})
    assert (status, data) == (200, {"status": "success", "data": True})
    status, data = await call(
        http,
        "GET",
        f"{verify}/check",
        params={"email": "owner@example.com", "userSessionEmail": "owner@example.com"},
    )
    assert data["data"] is False
    status, data = await call(http, "GET", f"{verify}/check", params={"email": "new@example.org"})
    assert data["data"] is False
    assert emu.verification_code("vic@example.org") is None
    vic_email = {"email": "vic@example.org"}
    status, data = await call(http, "POST", f"{verify}/send-code", json=vic_email)
    assert (status, data) == (200, {"status": "success", "data": {"sent": True}})
    code = emu.verification_code("Vic+booking@Example.org")
    assert code is not None
    assert len(code) == 6
    assert code.isdigit()
    status, data = await call(
        http, "POST", f"{verify}/verify-code", json={"email": "vic@example.org", "code": "x"}
    )
    assert (status, message(data)) == (400, "invalid_verification_code")
    status, data = await call(
        http, "POST", f"{verify}/verify-code", json={"email": "vic@example.org", "code": code}
    )
    assert (status, data["data"]) == (200, {"verified": True})
    vic = {"attendee": person("vic@example.org")}
    status, data = await call(
        http, "POST", "/v2/bookings", json={"start": at(1), "eventTypeId": guarded, **vic}
    )
    assert (status, message(data)) == (400, "email_verification_required")
    wrong = {"start": at(1), "eventTypeId": guarded, "emailVerificationCode": "000000", **vic}
    status, data = await call(http, "POST", "/v2/bookings", json=wrong)
    assert (status, message(data)) == (400, "invalid_verification_code")
    assert emu.ledger.count() == 0
    await book(http, guarded, at(1), emailVerificationCode=code, **vic)


async def test_verification_routes_need_no_credentials_and_no_version(
    emu: CalEmulator,
) -> None:
    async with aiohttp.ClientSession(emu.base_url) as anonymous:
        status, data = await call(
            anonymous, "POST", "/v2/bookings/verification/email/send-code", json={"email": "x"}
        )
        assert status == 400
        assert data["error"]["details"]["errors"][0]["property"] == "email"
        status, _ = await call(
            anonymous,
            "POST",
            "/v2/bookings/verification/email/send-code",
            json={"email": "a@example.org"},
        )
        assert status == 200


# -- report and block ------------------------------------------------------------------------------


async def test_report_and_block_cancel_the_bookers_upcoming_org_bookings(
    emu: CalEmulator, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    regular = emu.add_event_type(slug="intro")
    other = emu.add_event_type(slug="other", owner_id=emu.add_user(name="Sam Second"))
    spam = person("spam@spam.example")
    past = emu.add_booking(
        event_type_id=regular, start=NOW - timedelta(days=1), attendee_email="spam@spam.example"
    )
    reported = await book(http, regular, at(1), attendee=spam)
    later = await book(http, other, at(2), attendee=spam)
    same_domain = await book(http, regular, at(3), attendee=person("eve@spam.example"))
    bystander = await book(http, regular, at(4))
    report = "/v2/organizations/1/bookings/report"
    payload = {"bookingUid": reported["uid"], "reason": "SPAM", "reportType": "EMAIL"}
    status, data = await call(http, "POST", report, json=payload)
    assert (status, data["data"]) == (
        200,
        {
            "success": True,
            "message": "Booking reported and cancelled successfully",
            "bookingUid": reported["uid"],
            "reportedCount": 1,
            "cancelledCount": 2,
        },
    )
    statuses = {uid: emu.get_booking(uid)["status"] for uid in emu.bookings}
    assert statuses[reported["uid"]] == statuses[later["uid"]] == "cancelled"
    untouched = {statuses[past], statuses[same_domain["uid"]], statuses[bystander["uid"]]}
    assert untouched == {"accepted"}
    entry = emu.ledger.entries[-1]
    assert (entry.operation, entry.uids) == ("report_booking", (reported["uid"], later["uid"]))
    block = {"bookingUid": same_domain["uid"], "blockType": "DOMAIN"}
    status, data = await call(http, "POST", "/v2/organizations/1/bookings/block", json=block)
    assert data["data"] == {
        "success": True,
        "message": "Added to blocklist and 1 bookings cancelled",
        "bookingUid": same_domain["uid"],
        "cancelledCount": 1,
        "blockedValue": "spam.example",
    }
    assert emu.get_booking(bystander["uid"])["status"] == "accepted"


async def test_report_and_block_refusals(emu: CalEmulator, http: aiohttp.ClientSession) -> None:
    status, data = await call(
        http,
        "POST",
        "/v2/organizations/1/bookings/report",
        json={"bookingUid": "nope", "reason": "RUDE", "reportType": "PHONE"},
    )
    assert status == 400
    problems = {e["property"]: e["constraints"] for e in data["error"]["details"]["errors"]}
    assert problems == {
        "reason": {
            "isEnum": "reason must be one of the following values: SPAM, UNWANTED, "
            "DONT_KNOW_PERSON, OTHER"
        },
        "reportType": {"isEnum": "reportType must be one of the following values: EMAIL, DOMAIN"},
    }
    status, data = await call(
        http,
        "POST",
        "/v2/organizations/1/bookings/block",
        json={"bookingUid": "nope", "blockType": "EMAIL"},
    )
    assert (status, message(data)) == (404, "Booking with uid=nope was not found in the database")
    emu.add_api_key("cal_member", user_id=emu.add_user(name="Mo Member"))
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers(token="cal_member")) as mo:
        status, data = await call(
            mo,
            "POST",
            "/v2/organizations/1/bookings/block",
            json={"bookingUid": "nope", "blockType": "EMAIL"},
        )
        assert (status, message(data)) == (403, "Forbidden resource: ORG_ADMIN role required.")


# -- location, seated metadata ---------------------------------------------------------------------


async def test_update_location_accepts_an_integration(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    uid = (await book(http, emu.add_event_type(slug="intro"), at(1)))["uid"]
    path = f"/v2/bookings/{uid}/location"
    location = {"type": "integration", "integration": "google-meet"}
    status, data = await call(http, "PATCH", path, json={"location": location})
    assert (status, data["data"]["location"]) == (200, "integrations:google:meet")
    status, data = await call(
        http, "PATCH", path, json={"location": {"type": "integration", "integration": "myspace"}}
    )
    assert status == 400
    (error,) = data["error"]["details"]["errors"]
    assert error["property"] == "location"
    assert list(error["children"][0]["constraints"]) == ["isEnum"]


async def test_seated_create_keeps_metadata_on_the_seat(
    emu: CalEmulator, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    seated = emu.add_event_type(slug="workshop", seats=3)
    first = await book(http, seated, at(1), metadata={"job": "a-1"})
    clock.advance(90)
    second = await book(
        http, seated, at(1), attendee=person("bo@example.org"), metadata={"job": "b-2"}
    )
    booking = emu.get_booking(first["uid"])
    assert booking["metadata"] == {}
    assert [(a["email"], a["metadata"], a["createdAt"]) for a in booking["attendees"]] == [
        ("ann@example.org", {"job": "a-1"}, "2026-03-02T12:00:00.000Z"),
        ("bo@example.org", {"job": "b-2"}, "2026-03-02T12:01:30.000Z"),
    ]
    assert second["metadata"] == {}
    assert second["attendees"][1]["metadata"] == {"job": "b-2"}


# -- unknown keys on the pipes that forbid them ----------------------------------------------------


async def test_reschedule_and_cancel_refuse_unknown_keys(
    emu: CalEmulator, http: aiohttp.ClientSession
) -> None:
    uid = (await book(http, emu.add_event_type(slug="intro"), at(1)))["uid"]
    status, data = await call(
        http, "POST", f"/v2/bookings/{uid}/reschedule", json={"start": at(2), "colour": "red"}
    )
    assert (status, message(data)) == (
        400,
        "colour property is wrong,property colour should not exist",
    )
    status, data = await call(http, "POST", f"/v2/bookings/{uid}/cancel", json={"why": 1, "how": 2})
    assert message(data) == (
        "why property is wrong,property why should not exist, "
        "how property is wrong,property how should not exist"
    )
    status, data = await call(
        http,
        "POST",
        f"/v2/bookings/{uid}/reschedule",
        json={"start": at(2), "allowConflicts": True, "skipBookingLimits": False},
    )
    assert status == 201
    assert emu.ledger.count(operation="cancel") == 0


# -- named throttles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "name"),
    [
        ("POST", "/guests", "Booking_guests_add"),
        ("PATCH", "/location", "Booking_location_update"),
        ("POST", "/attendees", "Booking_attendees_add"),
        ("DELETE", "/attendees/1", "Booking_attendees_remove"),
    ],
)
async def test_named_throttles_allow_five_then_block_for_sixty_seconds(
    clock: ManualClock, method: str, suffix: str, name: str
) -> None:
    emu = CalEmulator(clock=clock, rate_limit=RateLimit(limit=100), api_keys=["cal_other"])
    async with emu, aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as http:
        path = f"/v2/bookings/missing{suffix}"

        async def hit(session: aiohttp.ClientSession = http) -> tuple[int, dict[str, str]]:
            async with session.request(method, path, json={}) as response:
                return response.status, dict(response.headers)

        results = [await hit() for _ in range(6)]
        assert [s for s, _ in results] == [400 if method != "DELETE" else 404] * 5 + [429]
        assert [h[f"X-RateLimit-Remaining-{name}"] for _, h in results] == [
            "4", "3", "2", "1", "0", "0"
        ]  # fmt: skip
        assert results[0][1][f"X-RateLimit-Limit-{name}"] == "5"
        assert results[5][1][f"X-RateLimit-Reset-{name}"] == "60"
        assert not any(h.startswith("X-RateLimit-Limit-Default") for h in results[0][1])
        clock.advance(59)
        status, headers = await hit()
        assert (status, headers[f"X-RateLimit-Reset-{name}"]) == (429, "1")
        # The default budget and the other credential are untouched.
        async with http.get("/v2/bookings") as response:
            assert response.headers["X-RateLimit-Remaining-Default"] == "99"
        async with aiohttp.ClientSession(
            emu.base_url, headers=emu.headers(token="cal_other")
        ) as other:
            assert (await hit(other))[0] != 429
        clock.advance(1)
        status, headers = await hit()
        assert status != 429
        assert headers[f"X-RateLimit-Remaining-{name}"] == "4"


async def test_named_route_limits_scale_for_tests(clock: ManualClock) -> None:
    limits = named_route_limits(2, ttl=10, block=20)
    assert set(limits) == set(ROUTE_THROTTLES)
    assert {(r.name, r.limit, r.ttl, r.block) for r in limits.values()} == {
        ("booking_guests_add", 2, 10, 20),
        ("booking_location_update", 2, 10, 20),
        ("booking_attendees_add", 2, 10, 20),
        ("booking_attendees_remove", 2, 10, 20),
    }
    emu = CalEmulator(clock=clock, route_limits=limits)
    assert emu.route_limits == limits
    async with emu, aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as http:
        statuses = []
        for _ in range(3):
            async with http.post("/v2/bookings/x/guests", json={}) as response:
                statuses.append(response.status)
        assert statuses == [400, 400, 429]
        assert response.headers["X-RateLimit-Reset-Booking_guests_add"] == "20"


# -- the request log, the seeded ids, the clock ----------------------------------------------------


async def test_on_request_sees_every_request_with_its_budget(clock: ManualClock) -> None:
    seen: list[RequestRecord] = []
    emu = CalEmulator(clock=clock, rate_limit=RateLimit(limit=3), on_request=seen.append)
    async with emu, aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as http:
        for path in ("/v2/bookings", "/v2/bookings", "/v2/bookings", "/v2/bookings"):
            async with http.get(path):
                pass
        async with http.patch("/v2/bookings/x/location", json={}):
            pass
    assert [r.line() for r in seen] == [
        "GET /v2/bookings 200 remaining Default=2",
        "GET /v2/bookings 200 remaining Default=1",
        "GET /v2/bookings 200 remaining Default=0",
        "GET /v2/bookings 429 remaining Default=0",
        "PATCH /v2/bookings/x/location 400 remaining Booking_location_update=4",
    ]


def test_seeded_organization_and_team_ids() -> None:
    emu = CalEmulator(seed=3)
    assert (emu.org_id, emu.team_ids, emu.user_ids) == (1, (), (1,))
    summary = emu.seed(bookings=20, users=4)
    assert emu.team_ids == summary.team_ids == (1,)
    assert emu.user_ids == (1, *summary.user_ids)
    assert emu.add_team(slug="support") in emu.team_ids


async def test_the_manual_clock_is_the_datas_now(clock: ManualClock) -> None:
    emu = CalEmulator(clock=clock, rate_limit=None)
    regular = emu.add_event_type(slug="intro")
    async with emu, aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as http:
        first = await book(http, regular, at(1))
        assert first["createdAt"] == "2026-03-02T12:00:00.000Z"
        clock.advance(2 * 86_400)
        status, data = await call(
            http,
            "POST",
            "/v2/bookings",
            json={"start": at(1, 11), "eventTypeId": regular, "attendee": person("z@example.org")},
        )
        assert (status, message(data)) == (400, "Attempting to book a meeting in the past.")


def test_manual_clock_and_clock_argument_checks() -> None:
    clock = ManualClock(start=datetime(2026, 1, 1), monotonic=5.0)
    assert (clock.time(), clock.monotonic()) == (
        datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp(),
        5.0,
    )
    with pytest.raises(ValueError, match="seconds must not be negative, got -1"):
        clock.advance(-1)
    with pytest.raises(TypeError, match=r"clock must be an EmulatorClock .* got int"):
        CalEmulator(clock=5)  # type: ignore[arg-type]

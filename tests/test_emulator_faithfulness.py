"""Faithfulness: every success body the emulator sends validates against the bookings spec.

Each of the 33 operations (and every response shape: single, recurring single, recurring array,
seated get, seated create with ``seatUid``, listings with pagination, reassign, every auxiliary
output, the attendee outputs, routing trace, email verification, report and block) is driven
with a plain aiohttp client, and its body is validated with jsonschema against the operation's
2xx response schema in ``tests/data/spec/bookings-openapi.json``. The only
relaxations are the live-server deviations of table A in
``calbookings_async/testing/DEVIATIONS.md``; a test keeps that table and :data:`RELAXATIONS` in
step, and another proves each relaxation is needed (the emulator really sends that deviation).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from jsonschema import Draft202012Validator

from calbookings_async.testing import CalEmulator

ROOT = Path(__file__).resolve().parent.parent
SPEC = json.loads((ROOT / "tests/data/spec/bookings-openapi.json").read_text())
DEVIATIONS_MD = (ROOT / "calbookings_async/testing/DEVIATIONS.md").read_text()
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)

BOOKING_SCHEMAS = (
    "BookingOutput_2024_08_13",
    "RecurringBookingOutput_2024_08_13",
    "GetSeatedBookingOutput_2024_08_13",
    "GetRecurringSeatedBookingOutput_2024_08_13",
    "CreateSeatedBookingOutput_2024_08_13",
    "CreateRecurringSeatedBookingOutput_2024_08_13",
)


def at(days: int, hour: int = 10, minute: int = 0) -> str:
    """An ISO start ``days`` after NOW at ``hour:minute`` UTC."""
    moment = (NOW + timedelta(days=days)).replace(hour=hour, minute=minute)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- OpenAPI 3.0 components -> JSON Schema ---------------------------------------------------------


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema 2020-12: refs, ``nullable``, closed objects."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "description", "deprecated") or key.startswith("x-"):
            continue
        if key == "$ref":
            out["$ref"] = "#/$defs/" + value.rsplit("/", 1)[1]
        elif key == "properties":
            out["properties"] = {name: _convert(sub) for name, sub in value.items()}
        else:
            out[key] = _convert(value)
    if out.pop("nullable", False):
        if any(key in out for key in ("allOf", "oneOf", "anyOf")):
            # ``nullable`` beside a composition (``formSubmission``): null or the composition.
            return {"anyOf": [{"type": "null"}, out]}
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    if "properties" in out:
        # The server sends exactly the declared properties (plainToClass excludeAll); closing the
        # objects is what makes the spec's overlapping oneOf variants mutually exclusive.
        out.setdefault("additionalProperties", False)
    return out


def _nullable(schema: dict[str, Any]) -> None:
    schema["type"] = [schema["type"], "null"]


def _relax_awaiting_host(defs: dict[str, Any]) -> None:
    for name in BOOKING_SCHEMAS:
        defs[name]["properties"]["status"]["enum"].append("awaiting_host")


def _relax_null_required_strings(defs: dict[str, Any]) -> None:
    # ``updatedAt`` is nullable in the spec itself since 2026 (CHANGES.md).
    for name in BOOKING_SCHEMAS:
        for field in ("description", "location"):
            _nullable(defs[name]["properties"][field])


def _relax_null_meeting_url(defs: dict[str, Any]) -> None:
    for name in BOOKING_SCHEMAS:
        _nullable(defs[name]["properties"]["meetingUrl"])


def _relax_null_event_type(defs: dict[str, Any]) -> None:
    for name in BOOKING_SCHEMAS:
        props = defs[name]["properties"]
        _nullable(props["eventTypeId"])
        props["eventType"] = {"anyOf": [props["eventType"], {"type": "null"}]}


def _relax_null_rating(defs: dict[str, Any]) -> None:
    for name in BOOKING_SCHEMAS:
        _nullable(defs[name]["properties"]["rating"])


def _relax_null_language(defs: dict[str, Any]) -> None:
    for name in (
        "BookingAttendee",
        "SeatedAttendee",
        "BookingAttendeeWithId_2024_08_13",
        "BookingAttendeeOutput_2024_08_13",
    ):
        language = defs[name]["properties"]["language"]
        _nullable(language)
        language["enum"].append(None)


def _relax_unknown_host(defs: dict[str, Any]) -> None:
    unknown = {
        "type": "object",
        "properties": {
            key: {"const": "unknown"} for key in ("id", "name", "email", "displayEmail", "username")
        },
        "required": ["id", "name", "email", "displayEmail", "username"],
        "additionalProperties": False,
    }
    defs["BookingHost"] = {"anyOf": [defs["BookingHost"], unknown]}


def _relax_status_typed_object(defs: dict[str, Any]) -> None:
    for name in ("CalendarLinksOutput_2024_08_13", "BookingReferencesOutput_2024_08_13"):
        defs[name]["properties"]["status"] = {"type": "string", "enum": ["success", "error"]}


#: The live-server deviations the validator tolerates, by DEVIATIONS.md table A id. Nothing else.
RELAXATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "awaiting-host-status": _relax_awaiting_host,
    "null-required-strings": _relax_null_required_strings,
    "null-meeting-url": _relax_null_meeting_url,
    "null-event-type": _relax_null_event_type,
    "null-rating": _relax_null_rating,
    "null-attendee-language": _relax_null_language,
    "unknown-host": _relax_unknown_host,
    "status-typed-object": _relax_status_typed_object,
}


class SpecValidator:
    """Validates response bodies against the spec's response schemas, with chosen relaxations."""

    def __init__(self, relax: Iterable[str] = tuple(RELAXATIONS)) -> None:
        defs = {name: _convert(s) for name, s in SPEC["components"]["schemas"].items()}
        for template, operations in SPEC["paths"].items():
            for method, operation in operations.items():
                (response, *_) = operation["responses"].values()
                schema = response["content"]["application/json"]["schema"]
                if "$ref" not in schema:
                    defs[f"{method.upper()} {template}"] = _convert(schema)
        for key in relax:
            RELAXATIONS[key](defs)
        self.defs = defs
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._validators:
            # The components have no cycles: inlining every $ref gives the same schema and spares
            # jsonschema a reference lookup per keyword (30x faster on listings).
            self._validators[name] = Draft202012Validator(self._inline(self.defs[name]))
        return self._validators[name]

    def _inline(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return self._inline(self.defs[node["$ref"].rsplit("/", 1)[1]])
        return {key: self._inline(value) for key, value in node.items()}

    @staticmethod
    def response_schema(method: str, template: str) -> tuple[str, str]:
        """(status code, schema name) of an operation's success response.

        An inline schema (the email-verification check's ``{"type": "object"}``) is named
        ``METHOD template`` and registered beside the components.
        """
        responses = SPEC["paths"][template][method.lower()]["responses"]
        (code, response), *_ = responses.items()
        schema = response["content"]["application/json"]["schema"]
        if "$ref" in schema:
            return code, schema["$ref"].rsplit("/", 1)[1]
        return code, f"{method} {template}"

    def errors(self, name: str, instance: Any) -> list[str]:
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in self.validator(name).iter_errors(instance)
        ]

    def check(self, method: str, template: str, status: int, body: Any) -> None:
        code, name = self.response_schema(method, template)
        assert status == int(code), (method, template, status, body)
        problems = self.errors(name, body)
        assert not problems, f"{method} {template} vs {name}: {problems[:5]}"

    def is_variant(self, name: str, instance: Any) -> bool:
        return bool(self.validator(name).is_valid(instance))


FULL = SpecValidator()


# -- the scenario --------------------------------------------------------------------------------


class Recorder:
    """A plain aiohttp client that validates every success body it receives."""

    def __init__(self, emu: CalEmulator, http: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.http = http
        self.seen: list[tuple[str, str, int, Any]] = []

    async def call(
        self,
        method: str,
        template: str,
        *,
        path: dict[str, Any] | None = None,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        url = template.format(**(path or {}))
        async with self.http.request(
            method, url, json=json_body, params=params, headers=headers
        ) as response:
            body = await response.json()
            assert response.status < 300, (method, url, response.status, body)
        FULL.check(method, template, response.status, body)
        self.seen.append((method, template, response.status, body))
        return body.get("data")


@pytest.fixture
async def emu() -> AsyncIterator[CalEmulator]:
    async with CalEmulator(seed=11, wall_clock=NOW.timestamp, rate_limit=None) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: CalEmulator) -> AsyncIterator[Recorder]:
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as http:
        yield Recorder(emu, http)


def _attendee(email: str, **extra: Any) -> dict[str, Any]:
    return {"name": email.split("@")[0].title(), "email": email, "timeZone": "Europe/Rome", **extra}


async def test_every_operation_and_shape_validates_against_the_spec(
    emu: CalEmulator, client: Recorder
) -> None:
    host = emu.add_user(name="Hana Host", username="hana", time_zone="Europe/Berlin")
    second = emu.add_user(name="Sam Second", username="sam")
    third = emu.add_user(name="Tia Third", username="tia")
    team = emu.add_team(slug="sales")
    regular = emu.add_event_type(slug="intro", owner_id=host)
    confirm = emu.add_event_type(slug="consult", owner_id=host, requires_confirmation=True)
    weekly = emu.add_event_type(slug="weekly", owner_id=host, recurrence=3)
    seated = emu.add_event_type(slug="workshop", owner_id=host, seats=3)
    hidden = emu.add_event_type(
        slug="private-workshop", owner_id=host, seats=3, seats_show_attendees=False
    )
    webinar = emu.add_event_type(slug="webinar", owner_id=host, seats=5, recurrence=2)
    demo = emu.add_event_type(
        slug="demo", team_id=team, scheduling_type="ROUND_ROBIN", host_ids=[host, second, third]
    )
    create = "/v2/bookings"
    one = "/v2/bookings/{bookingUid}"

    # Create: regular, recurring (array), seated (seatUid), recurring seated, instant.
    booked = await client.call(
        "POST",
        create,
        json_body={
            "start": at(1),
            "eventTypeId": regular,
            "attendee": _attendee("ann@example.org", phoneNumber="+15550100200"),
            "guests": ["gus@example.org"],
            "metadata": {"ref": "a1"},
            "bookingFieldsResponses": {"notes": "Agenda attached"},
        },
    )
    assert FULL.is_variant("BookingOutput_2024_08_13", booked)
    series = await client.call(
        "POST",
        create,
        json_body={"start": at(2), "eventTypeId": weekly, "attendee": _attendee("rex@example.org")},
    )
    assert isinstance(series, list)
    assert len(series) == 3
    assert all(FULL.is_variant("RecurringBookingOutput_2024_08_13", b) for b in series)
    seat = await client.call(
        "POST",
        create,
        json_body={"start": at(3), "eventTypeId": seated, "attendee": _attendee("sia@example.org")},
    )
    assert FULL.is_variant("CreateSeatedBookingOutput_2024_08_13", seat)
    seat2 = await client.call(
        "POST",
        create,
        json_body={"start": at(3), "eventTypeId": seated, "attendee": _attendee("sol@example.org")},
    )
    assert seat2["uid"] == seat["uid"]
    assert seat2["seatUid"] != seat["seatUid"]
    seats = await client.call(
        "POST",
        create,
        json_body={
            "start": at(4),
            "eventTypeId": webinar,
            "attendee": _attendee("wes@example.org"),
        },
    )
    assert all(FULL.is_variant("CreateRecurringSeatedBookingOutput_2024_08_13", b) for b in seats)
    instant = await client.call(
        "POST",
        create,
        json_body={
            "start": at(0, 13),
            "eventTypeId": demo,
            "instant": True,
            "attendee": _attendee("ivy@example.org"),
        },
    )
    assert instant["status"] == "awaiting_host"
    pending = await client.call(
        "POST",
        create,
        json_body={
            "start": at(5),
            "eventTypeId": confirm,
            "attendee": _attendee("pia@example.org"),
        },
    )
    pending2 = await client.call(
        "POST",
        create,
        json_body={
            "start": at(6),
            "eventTypeId": confirm,
            "attendee": _attendee("pat@example.org"),
        },
    )
    robin = await client.call(
        "POST",
        create,
        json_body={"start": at(7), "eventTypeId": demo, "attendee": _attendee("rob@example.org")},
    )
    private = await client.call(
        "POST",
        create,
        json_body={"start": at(8), "eventTypeId": hidden, "attendee": _attendee("pri@example.org")},
    )

    # Get: regular, recurring single, recurring array, seated, recurring seated, hidden seats.
    await client.call("GET", one, path={"bookingUid": booked["uid"]})
    single = await client.call("GET", one, path={"bookingUid": series[0]["uid"]})
    assert FULL.is_variant("RecurringBookingOutput_2024_08_13", single)
    everything = await client.call(
        "GET", one, path={"bookingUid": series[0]["recurringBookingUid"]}
    )
    assert [b["uid"] for b in everything] == [b["uid"] for b in series]
    got_seated = await client.call("GET", one, path={"bookingUid": seat["uid"]})
    assert FULL.is_variant("GetSeatedBookingOutput_2024_08_13", got_seated)
    got_rs = await client.call("GET", one, path={"bookingUid": seats[0]["uid"]})
    assert FULL.is_variant("GetRecurringSeatedBookingOutput_2024_08_13", got_rs)
    async with aiohttp.ClientSession(emu.base_url) as anonymous:
        anon = Recorder(emu, anonymous)
        shown = await anon.call(
            "GET",
            one,
            path={"bookingUid": private["uid"]},
            headers={"cal-api-version": "2024-08-13"},
        )
        assert shown["attendees"] == []

    # Reschedule: regular, recurring occurrence, one seat.
    moved = await client.call(
        "POST",
        one + "/reschedule",
        path={"bookingUid": booked["uid"]},
        json_body={"start": at(9, 15), "reschedulingReason": "Clash"},
    )
    assert moved["rescheduledFromUid"] == booked["uid"]
    moved_occurrence = await client.call(
        "POST",
        one + "/reschedule",
        path={"bookingUid": series[1]["uid"]},
        json_body={"start": at(10, 16)},
    )
    assert FULL.is_variant("RecurringBookingOutput_2024_08_13", moved_occurrence)
    moved_seat = await client.call(
        "POST",
        one + "/reschedule",
        path={"bookingUid": seat["uid"]},
        json_body={"start": at(11, 17), "seatUid": seat2["seatUid"]},
    )
    assert FULL.is_variant("CreateSeatedBookingOutput_2024_08_13", moved_seat)
    old = await client.call("GET", one, path={"bookingUid": booked["uid"]})
    assert old["status"] == "cancelled"
    assert old["rescheduledToUid"] == moved["uid"]

    # Cancel: one, one seat, subsequent recurrences (array), the whole series by its uid.
    await client.call(
        "POST",
        one + "/cancel",
        path={"bookingUid": seat["uid"]},
        json_body={"seatUid": seat["seatUid"], "cancellationReason": "Sick"},
    )
    cancelled_tail = await client.call(
        "POST",
        one + "/cancel",
        path={"bookingUid": series[0]["uid"]},
        json_body={"cancelSubsequentBookings": True},
    )
    assert isinstance(cancelled_tail, list)
    other_series = await client.call(
        "POST",
        create,
        json_body={
            "start": at(20),
            "eventTypeId": weekly,
            "attendee": _attendee("ola@example.org"),
        },
    )
    whole = await client.call(
        "POST",
        one + "/cancel",
        path={"bookingUid": other_series[0]["recurringBookingUid"]},
        json_body={},
    )
    assert {b["status"] for b in whole} == {"cancelled"}
    await client.call("POST", one + "/cancel", path={"bookingUid": moved["uid"]}, json_body={})

    # The owner-only operations.
    await client.call(
        "POST",
        one + "/mark-absent",
        path={"bookingUid": robin["uid"]},
        json_body={"host": True, "attendees": [{"email": "rob@example.org", "absent": True}]},
    )
    await client.call("POST", one + "/reassign", path={"bookingUid": robin["uid"]})
    await client.call(
        "POST",
        one + "/reassign/{userId}",
        path={"bookingUid": robin["uid"], "userId": third},
        json_body={"reason": "Vacation"},
    )
    await client.call("POST", one + "/confirm", path={"bookingUid": pending["uid"]})
    await client.call(
        "POST", one + "/decline", path={"bookingUid": pending2["uid"]}, json_body={"reason": "No"}
    )
    await client.call(
        "PATCH",
        one + "/location",
        path={"bookingUid": robin["uid"]},
        json_body={"location": {"type": "link", "link": "https://meet.example.org/x"}},
    )
    await client.call(
        "POST",
        one + "/guests",
        path={"bookingUid": robin["uid"]},
        json_body={"guests": [{"email": "new@example.org", "name": "New Guest"}]},
    )
    links = await client.call("GET", one + "/calendar-links", path={"bookingUid": robin["uid"]})
    assert [link["label"] for link in links][:1] == ["Google Calendar"]

    # Auxiliary outputs of a past Cal Video booking (rating and absence set by a seed).
    past = emu.add_booking(event_type_id=regular, start=NOW - timedelta(days=3), host_id=host)
    for suffix in ("/recordings", "/transcripts", "/conferencing-sessions"):
        data = await client.call("GET", one + suffix, path={"bookingUid": past})
        assert len(data) == 1
    refs = await client.call("GET", one + "/references", path={"bookingUid": past})
    assert {r["type"] for r in refs} == {"google_calendar", "daily_video"}
    only = await client.call(
        "GET", one + "/references", path={"bookingUid": past}, params={"type": "daily_video"}
    )
    assert [r["type"] for r in only] == ["daily_video"]

    # The operations added since January 2026 (API-NOTES §13).
    await _newer_operations(emu, client, host=host, second=second, demo=demo, seats=seats)

    # Seeded data of every kind, oddities included, through the listings (#2, #18, #19, #21).
    summary = emu.seed(bookings=300, anchor=NOW)
    gone = emu.add_user(name="Gone Host", username="gone")
    ghost = emu.add_booking(event_type_id=regular, start=at(30), host_id=gone)
    emu.remove_user(gone)
    # The live server's oddities, made explicitly (the seed has them too, by chance).
    nowhere = emu.add_booking(event_type_id=regular, start=at(31), host_id=host)
    emu.booking_record(nowhere).attendees[0].locale = None
    emu.update_booking(nowhere, location=None, updated=None)
    orphan = emu.add_booking(event_type_id=regular, start=at(32), host_id=host)
    emu.update_booking(orphan, event_type_id=None)
    oddities = set(summary.kinds)
    assert {"recurring", "seated", "recurring_seated", "round_robin", "instant"} <= oddities
    listed: list[dict[str, Any]] = []
    skip = 0
    while True:
        page = await client.call("GET", "/v2/bookings", params={"take": "250", "skip": str(skip)})
        listed.extend(page)
        if len(page) < 250:
            break
        skip += 250
    assert len(listed) == len(emu.bookings)
    assert any(b["hosts"][0]["id"] == "unknown" for b in listed if b["uid"] == ghost)
    await client.call("GET", "/v2/organizations/{orgId}/bookings", path={"orgId": 1},
                      params={"take": "50", "userIds": f"{host},{second}"})  # fmt: skip
    sales_team = summary.team_ids[0]
    team_page = await client.call(
        "GET",
        "/v2/organizations/{orgId}/teams/{teamId}/bookings",
        path={"orgId": 1, "teamId": sales_team},
        params={"take": "20"},
    )
    assert team_page
    await client.call(
        "GET",
        "/v2/organizations/{orgId}/teams/{teamId}/bookings/{bookingUid}/references",
        path={"orgId": 1, "teamId": sales_team, "bookingUid": team_page[0]["uid"]},
    )
    await client.call(
        "GET",
        "/v2/organizations/{orgId}/users/{userId}/bookings",
        path={"orgId": 1, "userId": summary.user_ids[0]},
        params={"take": "30"},
    )

    # Every operation of the spec was exercised.
    operations = {(m, t) for m, t, _, _ in client.seen}
    spec_operations = {(m.upper(), p) for p, ops in SPEC["paths"].items() for m in ops}
    assert spec_operations <= operations | {(m, t) for m, t, _, _ in anon.seen}

    # Each relaxation is needed: without it, some body the emulator sent fails the spec.
    for key in RELAXATIONS:
        strict = SpecValidator(relax=[k for k in RELAXATIONS if k != key])
        assert any(
            not strict.validator(strict.response_schema(method, template)[1]).is_valid(body)
            for method, template, _, body in client.seen
        ), f"relaxation {key!r} is not needed by any response"


async def _newer_operations(
    emu: CalEmulator,
    client: Recorder,
    *,
    host: int,
    second: int,
    demo: int,
    seats: list[dict[str, Any]],
) -> None:
    one = "/v2/bookings/{bookingUid}"
    # By seat: the recurring seated occurrence that holds the seat.
    by_seat = await client.call(
        "GET", "/v2/bookings/by-seat/{seatUid}", path={"seatUid": seats[0]["seatUid"]}
    )
    assert FULL.is_variant("GetRecurringSeatedBookingOutput_2024_08_13", by_seat)
    assert by_seat["uid"] == seats[0]["uid"]
    # A routed round-robin booking, then its attendees and its routing trace.
    routed = await client.call(
        "POST",
        "/v2/bookings",
        json_body={
            "start": at(12),
            "eventTypeId": demo,
            "attendee": _attendee("rou@example.org"),
            "guests": ["gia@example.org"],
            "routing": {"responseId": 42, "teamMemberIds": [host, second]},
            "allowConflicts": False,
        },
    )
    uid = {"bookingUid": routed["uid"]}
    trace = await client.call("GET", one + "/routing-trace", path=uid)
    assert trace["formSubmission"]["responses"][0]["displayValue"] == "42"
    added = await client.call(
        "POST",
        one + "/attendees",
        path=uid,
        json_body={"email": "ada@example.org", "name": "Ada", "timeZone": "Europe/Rome"},
    )
    assert added["bookingId"] == routed["id"]
    listed = await client.call("GET", one + "/attendees", path=uid)
    assert [a["email"] for a in listed] == ["rou@example.org", "gia@example.org", "ada@example.org"]
    got = await client.call(
        "GET", one + "/attendees/{attendeeId}", path={**uid, "attendeeId": added["id"]}
    )
    assert got["id"] == added["id"]
    removed = await client.call(
        "DELETE", one + "/attendees/{attendeeId}", path={**uid, "attendeeId": added["id"]}
    )
    assert removed["email"] == "ada@example.org"
    await client.call(
        "PATCH",
        one + "/location",
        path=uid,
        json_body={"location": {"type": "integration", "integration": "google-meet"}},
    )
    plain = await client.call(
        "POST",
        "/v2/bookings",
        json_body={"start": at(13), "eventTypeId": demo, "attendee": _attendee("rey@example.org")},
    )
    empty = await client.call("GET", one + "/routing-trace", path={"bookingUid": plain["uid"]})
    assert empty == {"steps": [], "groups": [], "formSubmission": None}
    assert (
        await client.call(
            "POST",
            one + "/request-reschedule",
            path={"bookingUid": plain["uid"]},
            json_body={"rescheduleReason": "Host is ill"},
        )
        is None
    )
    # Email verification, then a booking that needs it.
    verify = "/v2/bookings/verification/email"
    needed = await client.call("GET", verify + "/check", params={"email": "owner+x@example.com"})
    assert needed is True
    sent = await client.call("POST", verify + "/send-code", json_body={"email": "vic@example.org"})
    assert sent == {"sent": True}
    code = emu.verification_code("vic@example.org")
    assert code is not None
    verified = await client.call(
        "POST", verify + "/verify-code", json_body={"email": "vic@example.org", "code": code}
    )
    assert verified == {"verified": True}
    guarded = emu.add_event_type(slug="verified", owner_id=host, requires_email_verification=True)
    await client.call(
        "POST",
        "/v2/bookings",
        json_body={
            "start": at(14),
            "eventTypeId": guarded,
            "attendee": _attendee("vic@example.org"),
            "emailVerificationCode": code,
        },
    )
    # Report and block cancel the booker's upcoming bookings in the organization.
    report = await client.call(
        "POST",
        "/v2/organizations/{orgId}/bookings/report",
        path={"orgId": 1},
        json_body={"bookingUid": routed["uid"], "reason": "SPAM", "reportType": "EMAIL"},
    )
    assert (report["reportedCount"], report["cancelledCount"]) == (1, 1)
    blocked = await client.call(
        "POST",
        "/v2/organizations/{orgId}/bookings/block",
        path={"orgId": 1},
        json_body={"bookingUid": plain["uid"], "blockType": "DOMAIN"},
    )
    assert blocked["blockedValue"] == "example.org"


def test_relaxations_are_exactly_table_a_of_deviations_md() -> None:
    section = DEVIATIONS_MD.split("## A.", 1)[1].split("## B.", 1)[0]
    ids = set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE))
    assert ids == set(RELAXATIONS)


def test_the_strict_validator_reads_the_spec_faithfully() -> None:
    strict = SpecValidator(relax=())
    Draft202012Validator.check_schema({"$defs": strict.defs})
    Draft202012Validator.check_schema({"$defs": FULL.defs})
    booking: dict[str, Any] = {
        "id": 1,
        "uid": "u",
        "title": "t",
        "description": "d",
        "hosts": [
            {
                "id": 1,
                "name": "n",
                "email": "e",
                "displayEmail": "e",
                "username": "u",
                "timeZone": "UTC",
            }
        ],
        "status": "accepted",
        "start": "s",
        "end": "e",
        "duration": 30,
        "eventTypeId": 1,
        "eventType": {"id": 1, "slug": "s"},
        "location": "l",
        "absentHost": False,
        "createdAt": "c",
        "updatedAt": "u",
        "attendees": [],
        "bookingFieldsResponses": {},
    }
    envelope: dict[str, Any] = {"status": "success", "data": booking}
    assert not strict.errors("GetBookingOutput_2024_08_13", envelope)
    recurring = copy.deepcopy(envelope)
    recurring["data"]["recurringBookingUid"] = "r"
    # Closed objects make oneOf pick exactly one variant.
    assert not strict.errors("GetBookingOutput_2024_08_13", recurring)
    assert strict.is_variant("RecurringBookingOutput_2024_08_13", recurring["data"])
    assert not strict.is_variant("BookingOutput_2024_08_13", recurring["data"])
    extra = copy.deepcopy(envelope)
    extra["data"]["surprise"] = 1
    assert strict.errors("GetBookingOutput_2024_08_13", extra)
    nulled = copy.deepcopy(envelope)
    nulled["data"]["description"] = None
    assert strict.errors("GetBookingOutput_2024_08_13", nulled)
    assert not FULL.errors("GetBookingOutput_2024_08_13", nulled)

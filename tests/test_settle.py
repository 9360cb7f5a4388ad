"""Settling uncertain state-setting writes: the booking read back, returned marked settled.

Each test scripts the server with ``MockTransport``: the write ends uncertain (a 502 the server
may have applied, or a retry after one answered "not pending" / "already cancelled"), then the
read-back shows a state; what the call returns or raises follows from the two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _endpoint_helpers import booking_json
from _helpers import API_KEY, error_envelope

from calbookings_async import (
    BadRequestError,
    CalBookings,
    CalError,
    MarkAbsentAttendee,
    NotFoundError,
    RawRequest,
    RawResponse,
    RetryPolicy,
    ServerError,
)
from calbookings_async.testing import MockTransport, json_response

UID = "booking_uid_123"


def scripted(
    writes: list[RawResponse], reads: list[RawResponse]
) -> Callable[[RawRequest], RawResponse]:
    """Answers writes (POST) and read-backs (GET) from their own queues, in order."""
    queues: dict[str, Iterator[RawResponse]] = {"POST": iter(writes), "GET": iter(reads)}

    def handle(request: RawRequest) -> RawResponse:
        return next(queues[request.method])

    return handle


def booking(status: str, **overrides: Any) -> RawResponse:
    return json_response(
        200, {"status": "success", "data": booking_json(UID, status=status, **overrides)}
    )


UNCERTAIN = json_response(502, error_envelope(502, "Bad Gateway"), {"X-Request-Id": "req-502"})
NOT_PENDING = json_response(400, error_envelope(400, "Booking is not pending"))


def client(
    handler: Callable[[RawRequest], RawResponse], **options: Any
) -> tuple[CalBookings, MockTransport]:
    transport = MockTransport(handler)
    options.setdefault("retry", RetryPolicy.disabled())
    return CalBookings(api_key=API_KEY, transport=transport, pacing=False, **options), transport


@pytest.mark.parametrize(
    ("method", "status"),
    [("decline", "rejected"), ("confirm", "accepted"), ("cancel", "cancelled")],
)
async def test_an_uncertain_write_found_applied_is_a_settled_success(
    method: str, status: str, caplog: pytest.LogCaptureFixture
) -> None:
    cal, transport = client(scripted([UNCERTAIN], [booking(status)]))
    with caplog.at_level(logging.INFO, logger="calbookings_async"):
        async with cal:
            result = await getattr(cal.bookings, method)(UID)
    assert result.uid == UID
    assert result.status.value == status
    assert result.settled is True
    assert [r.method for r in transport.requests] == ["POST", "GET"]
    assert [r.getMessage() for r in caplog.records if "settled" in r.getMessage()] == [
        f"settled bookings.{method} {UID}: the write ended uncertain (ServerError, request id"
        " req-502); read back, the booking is in the state asked for"
    ]


async def test_a_retry_answered_not_pending_after_an_uncertain_attempt_is_settled() -> None:
    cal, transport = client(
        scripted([UNCERTAIN, NOT_PENDING], [booking("rejected")]),
        retry=RetryPolicy(attempts=3),
    )
    async with cal:
        result = await cal.bookings.decline(UID)
    assert result.settled is True
    assert [r.method for r in transport.requests] == ["POST", "POST", "GET"]


async def test_a_plain_success_is_not_settled() -> None:
    cal, transport = client(scripted([booking("rejected")], []))
    async with cal:
        result = await cal.bookings.decline(UID)
    assert result.settled is False
    assert len(transport.requests) == 1


async def test_a_booking_in_another_state_keeps_the_uncertain_error() -> None:
    cal, _transport = client(scripted([UNCERTAIN], [booking("pending")]))
    async with cal:
        with pytest.raises(ServerError) as caught:
            await cal.bookings.decline(UID)
    assert caught.value.may_have_been_applied is True


async def test_a_failing_read_back_keeps_the_uncertain_error_and_says_why() -> None:
    failing_read = json_response(500, error_envelope(500, "down"))
    cal, _transport = client(scripted([UNCERTAIN], [failing_read]))
    async with cal:
        with pytest.raises(ServerError) as caught:
            await cal.bookings.confirm(UID)
    assert caught.value.may_have_been_applied is True
    assert isinstance(caught.value.read_back_error, CalError)  # type: ignore[attr-defined]


async def test_a_definite_failure_is_not_read_back() -> None:
    missing = json_response(404, error_envelope(404, "no such booking"))
    cal, transport = client(scripted([missing], []))
    async with cal:
        with pytest.raises(NotFoundError):
            await cal.bookings.cancel(UID)
    assert len(transport.requests) == 1


@pytest.mark.parametrize("where", ["client", "view"])
async def test_settle_false_keeps_the_uncertain_error(where: str) -> None:
    options = {"settle": False} if where == "client" else {}
    cal, transport = client(scripted([UNCERTAIN], [booking("rejected")]), **options)
    async with cal:
        target = cal if where == "client" else cal.with_options(settle=False)
        assert target.options.settle is False
        with pytest.raises(ServerError) as caught:
            await target.bookings.decline(UID)
    assert caught.value.may_have_been_applied is True
    assert len(transport.requests) == 1


async def test_a_view_inherits_settle_off() -> None:
    cal, _transport = client(scripted([], []), settle=False)
    async with cal:
        assert cal.with_options(timeout=5).options.settle is False


async def test_mark_absent_is_settled_when_the_flags_read_back_as_sent() -> None:
    attendees = [{"name": "Ann", "email": "ann@example.com", "timeZone": "UTC", "absent": True}]
    cal, _transport = client(
        scripted([UNCERTAIN], [booking("accepted", absentHost=True, attendees=attendees)])
    )
    async with cal:
        result = await cal.bookings.mark_absent(
            UID, host=True, attendees=[MarkAbsentAttendee(email="ann@example.com", absent=True)]
        )
    assert result.settled is True


async def test_mark_absent_with_other_flags_keeps_the_error() -> None:
    attendees = [{"name": "Ann", "email": "ann@example.com", "timeZone": "UTC", "absent": False}]
    cal, _transport = client(
        scripted([UNCERTAIN], [booking("accepted", absentHost=True, attendees=attendees)])
    )
    async with cal:
        with pytest.raises(ServerError):
            await cal.bookings.mark_absent(
                UID, attendees=[MarkAbsentAttendee(email="ann@example.com", absent=True)]
            )


async def test_request_reschedule_settles_on_a_cancelled_booking() -> None:
    already = json_response(400, error_envelope(400, "Booking is already cancelled"))
    cal, transport = client(
        scripted([UNCERTAIN, already], [booking("cancelled")]), retry=RetryPolicy(attempts=2)
    )
    async with cal:
        assert await cal.bookings.request_reschedule(UID, reason="ill") is None
    assert [r.method for r in transport.requests] == ["POST", "POST", "GET"]


async def test_a_definite_400_without_an_earlier_uncertain_attempt_stays_a_failure() -> None:
    cal, transport = client(scripted([NOT_PENDING], []))
    async with cal:
        with pytest.raises(BadRequestError) as caught:
            await cal.bookings.decline(UID)
    assert caught.value.may_have_been_applied is False
    assert len(transport.requests) == 1


def test_settle_must_be_a_bool() -> None:
    from calbookings_async import InvalidArgumentError

    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY, settle="yes")  # type: ignore[arg-type]
    assert caught.value.argument == "settle"


def by_method(answers: dict[str, list[RawResponse]]) -> Callable[[RawRequest], RawResponse]:
    """Answers each HTTP method from its own queue, in order."""
    queues = {method: iter(queue) for method, queue in answers.items()}
    return lambda request: next(queues[request.method])


async def test_an_uncertain_reassignment_to_a_user_is_settled_by_its_host() -> None:
    host = {"id": 42, "name": "Olga Other", "email": "olga@example.org", "username": "olga",
            "timeZone": "UTC"}  # fmt: skip
    cal, transport = client(
        by_method({"POST": [UNCERTAIN], "GET": [booking("accepted", hosts=[host])]})
    )
    async with cal:
        result = await cal.bookings.reassign_to(UID, 42)
    assert result.settled is True
    assert result.booking_uid == UID
    assert result.reassigned_to.id == 42
    assert result.reassigned_to.email == "olga@example.org"
    assert [r.method for r in transport.requests] == ["POST", "GET"]


async def test_an_uncertain_reassignment_to_a_user_with_another_host_stays_uncertain() -> None:
    cal, _transport = client(by_method({"POST": [UNCERTAIN], "GET": [booking("accepted")]}))
    async with cal:
        with pytest.raises(ServerError) as caught:
            await cal.bookings.reassign_to(UID, 42)
    assert caught.value.may_have_been_applied is True


async def test_an_uncertain_location_update_is_settled_when_the_booking_has_it() -> None:
    from calbookings_async import IntegrationLocation, UpdateLinkLocation

    link = "https://meet.example.org/room"
    cal, _transport = client(
        by_method(
            {"PATCH": [UNCERTAIN, UNCERTAIN], "GET": [booking("accepted", location=link)] * 2}
        )
    )
    async with cal:
        result = await cal.bookings.update_location(UID, UpdateLinkLocation(link=link))
        assert result.settled is True
        assert result.location == link
        # A video app becomes a value the server picks: not settled, the error stays.
        with pytest.raises(ServerError) as caught:
            await cal.bookings.update_location(UID, IntegrationLocation(integration="cal-video"))
    assert caught.value.may_have_been_applied is True


async def test_a_refusal_of_a_bulk_item_left_in_flight_is_read_back() -> None:
    """An earlier run's decline ended uncertain: this run's decline is refused "not pending" (a
    definite 400 on its own), and read back because the item was left in flight."""
    from calbookings_async import MemoryJournal

    journal = MemoryJournal()
    claim = await journal.claim(f"bulk:{UID}", f"bulk:{UID}", lease=0)
    await journal.record(f"bulk:{UID}", "uncertain", token=claim.token)
    cal, transport = client(scripted([NOT_PENDING, NOT_PENDING], [booking("rejected")]))
    async with cal:
        report = await cal.bulk_all([UID], cal.bookings.decline, journal=journal)
        with pytest.raises(BadRequestError):  # outside a resumed item the refusal stands
            await cal.bookings.decline(UID)
    (outcome,) = report.outcomes
    assert outcome.ok
    assert outcome.settled is True
    assert outcome.result.settled is True
    assert [r.method for r in transport.requests] == ["POST", "GET", "POST"]

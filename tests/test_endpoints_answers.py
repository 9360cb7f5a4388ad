"""Every answer belongs to its request: an answer about something else is refused.

A stale response on a kept-alive connection looks like a perfectly good answer to another
request: another booking's uid, another page, another attendee. Each endpoint's decoder checks
what the answer is about against what was asked and raises ``AnswerMismatch`` (a
``DecodeError``, so ``may_have_been_applied`` is true: the write may have been applied even
though this answer is not its own). The endpoints are driven through a ``FakeRequester``, which
hands the decoder's exception through unchanged; the last tests go through a real client.

What cannot be checked (the answer names nothing the request named) is listed in ``_decode``.
"""

# ruff: noqa: E501  (one case to a line reads best)

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from _endpoint_helpers import (
    FakeRequester,
    MockAPI,
    booking_json,
    recurring_json,
    seated_json,
)

from calbookings_async import (
    AddAttendeeInput,
    BookerScope,
    Booking,
    CalError,
    CreateBookingAttendee,
    CreateBookingInput,
    CreateInstantBookingInput,
    CreateRecurringBookingInput,
    DecodeError,
    Guest,
    ReportReason,
    SeatedBooking,
    UpdateLinkLocation,
)
from calbookings_async._bookings import Bookings
from calbookings_async._errors import AnswerMismatch
from calbookings_async._organizations import Organizations

UTC = timezone.utc
START = datetime(2030, 8, 13, 9, 0, tzinfo=UTC)
START_JSON = "2030-08-13T09:00:00.000Z"
ANN = CreateBookingAttendee(name="Ann", time_zone="UTC", email="ann@example.com")
PHONE_ONLY = CreateBookingAttendee(name="Ann", time_zone="UTC", phone_number="+37120993151")
NEW_ATTENDEE = AddAttendeeInput(email="new@example.com", name="New", time_zone="UTC")

Call = Callable[[Bookings, Organizations], Awaitable[Any]]


async def answered(call: Call, data: Any) -> Any:
    """Make ``call`` with every request answered by a success envelope around ``data``."""
    requester = FakeRequester(lambda _call: {"status": "success", "data": data})
    return await call(Bookings(requester), Organizations(requester))


def created(uid: str = "new", email: str = "ann@example.com", **more: Any) -> dict[str, Any]:
    data = booking_json(uid, **{"start": START_JSON, **more})
    data["attendees"] = [{**data["attendees"][0], "email": email}]
    return data


def attendee(attendee_id: int, email: str = "john@example.com") -> dict[str, Any]:
    return {
        "id": attendee_id,
        "bookingId": 9,
        "name": "John",
        "email": email,
        "timeZone": "UTC",
        "absent": False,
        "displayEmail": email,
    }


def reassigned(uid: str, user_id: int) -> dict[str, Any]:
    return {
        "bookingUid": uid,
        "reassignedTo": {"id": user_id, "name": "Ada", "email": "a@x.io", "displayEmail": "a@x.io"},
    }


def outcome(uid: str, **more: Any) -> dict[str, Any]:
    return {"success": True, "message": "done", "bookingUid": uid, "cancelledCount": 1, **more}


MISMATCHES: list[tuple[str, Call, Any, str, str]] = [
    # (label, call, answer, JSONPath, what the answer was about)
    ("get", lambda b, o: b.get("mine"), booking_json("theirs"), "$.data.uid", "'theirs'"),
    ("confirm", lambda b, o: b.confirm("mine"), booking_json("theirs"), "$.data.uid", "'theirs'"),
    ("decline", lambda b, o: b.decline("mine"), booking_json("x"), "$.data.uid", "'x'"),
    ("cancel", lambda b, o: b.cancel("mine"), booking_json("x"), "$.data.uid", "'x'"),
    ("mark-absent", lambda b, o: b.mark_absent("mine", host=True), booking_json("x"), "$.data.uid", "'x'"),
    ("update-location", lambda b, o: b.update_location("mine", UpdateLinkLocation(link="https://x.io")), booking_json("x"), "$.data.uid", "'x'"),
    ("add-guests", lambda b, o: b.add_guests("mine", [Guest(email="g@x.io")]), booking_json("x"), "$.data.uid", "'x'"),
    ("get-another-series", lambda b, o: b.get("series"), [recurring_json("r1", "other"), recurring_json("r2", "other")], "$.data", "'other'"),
    ("get-two-series", lambda b, o: b.get("r1"), [recurring_json("r1", "s1"), recurring_json("r2", "s2")], "$.data", "'s1, s2'"),
    ("get-not-a-series", lambda b, o: b.get("series"), [booking_json("a"), booking_json("b")], "$.data", "'None'"),
    ("cancel-later-of-another", lambda b, o: b.cancel("r9", cancel_subsequent_bookings=True), [recurring_json("r1"), recurring_json("r2")], "$.data", "'series_uid'"),
    ("reschedule-from", lambda b, o: b.reschedule("old", start=START), booking_json("new", rescheduledFromUid="other", start=START_JSON), "$.data.rescheduledFromUid", "'other'"),
    ("reschedule-not-from", lambda b, o: b.reschedule("old", start=START), booking_json("new", start=START_JSON), "$.data.rescheduledFromUid", "None"),
    ("reschedule-start", lambda b, o: b.reschedule("old", start=START), booking_json("new", rescheduledFromUid="old"), "$.data.start", "datetime.datetime(2024, 8, 13, 15, 30"),
    ("reschedule-seat-start", lambda b, o: b.reschedule("old", start=START, seat_uid="s1"), seated_json("new"), "$.data.start", "datetime.datetime(2024, 8, 13, 15, 30"),
    ("create-start", lambda b, o: b.create(CreateBookingInput(start=START, attendee=ANN, event_type_id=1)), created(start="2030-08-13T10:00:00.000Z"), "$.data.start", "datetime.datetime(2030, 8, 13, 10, 0"),
    ("create-attendee", lambda b, o: b.create(CreateBookingInput(start=START, attendee=ANN, event_type_id=1)), created(email="bob@example.com"), "$.data.attendees", "'bob@example.com'"),
    ("create-recurring-start", lambda b, o: b.create(CreateRecurringBookingInput(start=START, attendee=ANN, event_type_id=1)), [recurring_json("r1"), recurring_json("r2")], "$.data.start", "datetime.datetime(2024, 8, 13, 15, 30"),
    ("create-instant-attendee", lambda b, o: b.create(CreateInstantBookingInput(start=START, attendee=ANN, event_type_id=1)), created(email="bob@example.com", start="2030-08-13T09:07:00.000Z"), "$.data.attendees", "'bob@example.com'"),
    ("get-by-seat", lambda b, o: b.get_by_seat("mine"), seated_json(seat="theirs"), "$.data.attendees", "'theirs'"),
    ("attendee", lambda b, o: b.attendee("u", 7), attendee(8), "$.data.id", "8"),
    ("remove-attendee", lambda b, o: b.remove_attendee("u", 7), attendee(8), "$.data.id", "8"),
    ("add-attendee", lambda b, o: b.add_attendee("u", NEW_ATTENDEE), attendee(8, "old@example.com"), "$.data.email", "'old@example.com'"),
    ("reassign", lambda b, o: b.reassign("mine"), reassigned("theirs", 5), "$.data.bookingUid", "'theirs'"),
    ("reassign-to-booking", lambda b, o: b.reassign_to("mine", 5), reassigned("theirs", 5), "$.data.bookingUid", "'theirs'"),
    ("reassign-to-user", lambda b, o: b.reassign_to("mine", 5), reassigned("mine", 6), "$.data.reassignedTo.id", "6"),
    ("report", lambda b, o: o.report_booking(1, "mine", reason=ReportReason.SPAM, report_type=BookerScope.EMAIL), outcome("theirs", reportedCount=1), "$.data.bookingUid", "'theirs'"),
    ("block", lambda b, o: o.block_booking(1, "mine", block_type=BookerScope.EMAIL), outcome("theirs", blockedValue="x.io"), "$.data.bookingUid", "'theirs'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "answer", "path", "about"),
    [row[1:] for row in MISMATCHES],
    ids=[row[0] for row in MISMATCHES],
)
async def test_an_answer_about_something_else_is_refused(
    call: Call, answer: Any, path: str, about: str
) -> None:
    with pytest.raises(AnswerMismatch) as raised:
        await answered(call, answer)
    error = raised.value
    assert error.path == path
    assert error.reason.startswith("the answer is about ")
    assert about in error.reason
    assert error.may_have_been_applied is True
    assert isinstance(error, DecodeError)


ACCEPTED: list[tuple[str, Call, Any, Callable[[Any], bool]]] = [
    # (label, call, answer, what the result must satisfy): the legitimate answers near the edges
    ("series-by-its-uid", lambda b, o: b.get("series_uid"), [recurring_json("r1"), recurring_json("r2")], lambda r: r.uid == "r1" and len(r.occurrences) == 2),
    ("later-occurrences", lambda b, o: b.cancel("r2", cancel_subsequent_bookings=True), [recurring_json("r2"), recurring_json("r3")], lambda r: r.uid == "r2" and [x.uid for x in r.occurrences] == ["r2", "r3"]),
    ("one-occurrence", lambda b, o: b.confirm("r2"), recurring_json("r2"), lambda r: r.uid == "r2" and r.occurrences == ()),
    ("seat-moved-to-another-booking", lambda b, o: b.reschedule("old", start=START, seat_uid="s1"), {**seated_json("other", seat_uid="s1"), "start": START_JSON}, lambda r: r.uid == "other"),
    ("create-at-the-millisecond", lambda b, o: b.create(CreateBookingInput(start=START.replace(microsecond=123456), attendee=ANN, event_type_id=1)), created(start="2030-08-13T09:00:00.123Z"), lambda r: r.uid == "new"),
    ("create-email-in-another-case", lambda b, o: b.create(CreateBookingInput(start=START, attendee=ANN, event_type_id=1)), created(email="Ann@Example.COM"), lambda r: r.uid == "new"),
    ("create-by-phone", lambda b, o: b.create(CreateBookingInput(start=START, attendee=PHONE_ONLY, event_type_id=1)), created(email="7f3a@sms.cal.com"), lambda r: r.uid == "new"),
    ("create-seated-attendees-hidden", lambda b, o: b.create(CreateBookingInput(start=START, attendee=ANN, event_type_id=1)), {**seated_json("new", seat_uid="s9"), "attendees": [], "start": START_JSON}, lambda r: isinstance(r, SeatedBooking) and r.seat_uid == "s9"),
    ("create-recurring", lambda b, o: b.create(CreateRecurringBookingInput(start=START, attendee=ANN, event_type_id=1)), [{**created("r1"), "recurringBookingUid": "s"}, {**created("r2", start="2030-08-20T09:00:00.000Z"), "recurringBookingUid": "s"}], lambda r: r.uid == "r1" and len(r.occurrences) == 2),
    ("create-instant-starts-later", lambda b, o: b.create(CreateInstantBookingInput(start=START, attendee=ANN, event_type_id=1)), created(start="2030-08-13T09:07:00.000Z"), lambda r: r.uid == "new"),
    ("seat-hidden", lambda b, o: b.get_by_seat("mine"), {**seated_json("b"), "attendees": []}, lambda r: r.uid == "b"),
    ("add-attendee-email-case", lambda b, o: b.add_attendee("u", NEW_ATTENDEE), attendee(8, "New@Example.com"), lambda r: r.id == 8),
    ("reassign-auto", lambda b, o: b.reassign("mine"), reassigned("mine", 99), lambda r: r.reassigned_to.id == 99),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "answer", "holds"),
    [row[1:] for row in ACCEPTED],
    ids=[row[0] for row in ACCEPTED],
)
async def test_answers_about_what_was_asked_are_accepted(
    call: Call, answer: Any, holds: Callable[[Any], bool]
) -> None:
    result = await answered(call, answer)
    assert holds(result), result


async def test_a_booking_without_a_uid_is_a_decode_error_naming_it() -> None:
    data = booking_json("mine")
    del data["uid"]
    with pytest.raises(DecodeError) as raised:
        await answered(lambda b, o: b.get("mine"), data)
    assert not isinstance(raised.value, AnswerMismatch)
    assert raised.value.path == "$.data.uid"


async def test_a_percent_encoded_uid_is_compared_as_the_caller_wrote_it() -> None:
    # The path carries "a%2Fb"; the server answers about "a/b".
    requester = FakeRequester(lambda call: {"status": "success", "data": booking_json("a/b")})
    booking = await Bookings(requester).get("a/b")
    assert booking.uid == "a/b"
    assert requester.calls[0].path == "/v2/bookings/a%2Fb"


async def test_through_the_client_a_mismatch_is_an_error_that_may_have_been_applied() -> None:
    api = MockAPI()
    async with api.client() as cal:
        answer = booking_json("new")
        answer["rescheduledFromUid"] = "theirs"
        api.data(answer)
        with pytest.raises(CalError) as raised:
            await cal.bookings.reschedule(
                "mine", start=datetime(2030, 1, 1, 10, tzinfo=timezone.utc)
            )
    assert raised.value.may_have_been_applied is True
    assert "'theirs', not the 'mine' asked for" in str(raised.value)
    assert len(api.sent) == 1  # an unsafe write whose answer was not its own is not sent again


async def test_a_state_setting_write_answered_for_another_is_asked_again() -> None:
    # Declining twice leaves the booking declined: the SDK asks again on a fresh connection
    # and returns the answer that is its own.
    api = MockAPI()
    async with api.client() as cal:
        api.data(booking_json("theirs"))
        api.data(booking_json("mine"))
        booking = await cal.bookings.decline("mine")
    assert booking.uid == "mine"
    assert len(api.sent) == 2


async def test_the_series_answer_is_a_booking_for_type_checkers_and_people() -> None:
    result: Booking = await answered(
        lambda b, o: b.decline("series_uid"), [recurring_json("r1"), recurring_json("r2")]
    )
    assert result.occurrences[0] == result
    assert result.occurrences[0].occurrences == ()  # the copy holds the series, not its items

"""Every endpoint through a real client and a MockTransport: what goes on the wire, what comes back.

For each operation: the HTTP method, the path (path parameters percent-encoded: the uid used
holds ``/``, ``?``, ``#``, a space and ``%``), the query, the headers, the exact JSON body, and
the decoded result. Then which operations are retried after a 503 (the ``idempotent=``
declarations, observed from outside).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from _endpoint_helpers import (
    API_KEY,
    NASTY_UID,
    NASTY_UID_ENCODED,
    MockAPI,
    booking_json,
    pagination_json,
    recurring_json,
    seated_json,
)

from calbookings_async import (
    AddAttendeeInput,
    AddressLocation,
    AttendeeAddressLocation,
    AttendeeDefinedLocation,
    AttendeePhoneLocation,
    BlockedBooker,
    BookerScope,
    Booking,
    BookingAttendee,
    BookingListStatus,
    BookingReference,
    BookingReferenceType,
    BookingStatus,
    CalBookings,
    CalendarLink,
    ConferencingSession,
    CreateBookingAttendee,
    CreateBookingInput,
    CreateBookingRouting,
    CreateInstantBookingInput,
    CreateRecurringBookingInput,
    DecodeError,
    Guest,
    IntegrationLocation,
    Language,
    LinkLocation,
    LocationIntegration,
    MarkAbsentAttendee,
    OrganizersDefaultAppLocation,
    Page,
    PhoneLocation,
    ReassignedBooking,
    Recording,
    RecurringBooking,
    ReportedBooking,
    ReportReason,
    RoutingTrace,
    RoutingTraceStep,
    SeatedBooking,
    ServerError,
    SortOrder,
    UpdateAddressLocation,
    UpdateLinkLocation,
    UpdatePhoneLocation,
)

UTC = timezone.utc
START = datetime(2024, 8, 13, 9, 0, tzinfo=UTC)
# 11:00 in UTC+2 is 09:00 UTC: the body must carry UTC whatever zone the caller used.
START_IN_PARIS = datetime(2024, 8, 13, 11, 0, tzinfo=timezone(timedelta(hours=2)))
BOOKINGS = f"/v2/bookings/{NASTY_UID_ENCODED}"

ATTENDEE = CreateBookingAttendee(
    name="John Doe",
    email="john.doe@example.com",
    time_zone="America/New_York",
    phone_number="+919876543210",
    language=Language.IT,
)
ATTENDEE_JSON = {
    "name": "John Doe",
    "timeZone": "America/New_York",
    "email": "john.doe@example.com",
    "phoneNumber": "+919876543210",
    "language": "it",
}

RECORDING_JSON = {
    "id": "1234567890",
    "roomName": "daily-video-room-123",
    "startTs": 1678901234,
    "status": "finished",
    "maxParticipants": 10,
    "duration": 3600,
    "shareToken": "share-token-123",
    "downloadLink": None,
    "error": None,
}
SESSION_JSON = {
    "id": "session123",
    "room": "daily-video-room-123",
    "startTime": 1678901234,
    "duration": 3600,
    "ongoing": False,
    "maxParticipants": 10,
    "participants": [
        {"userId": None, "userName": "John Doe", "joinTime": 1678901264, "duration": 3570}
    ],
}
REFERENCE_JSON = {
    "type": "google_calendar",
    "eventUid": "event-uid",
    "destinationCalendarId": None,
    "id": 7,
}
REASSIGNED_JSON = {
    "bookingUid": NASTY_UID,
    "reassignedTo": {
        "id": 42,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "displayEmail": "ada@example.com",
    },
}


@attrs.frozen
class Case:
    """One call and everything it must send and return."""

    id: str
    call: Callable[[CalBookings], Awaitable[Any]]
    method: str
    path: str
    check: Callable[[Any], None]
    query: list[tuple[str, str]] = attrs.field(factory=list)
    body: Any = None
    # Answers are about what was asked: the booking in the path (NASTY_UID).
    data: Any = attrs.field(factory=lambda: booking_json(NASTY_UID))
    envelope_extra: dict[str, Any] = attrs.field(factory=dict)
    status: int = 200

    def envelope(self) -> dict[str, Any]:
        """The success envelope the server answers (no ``data`` at all for NO_DATA)."""
        data = {} if self.data is NO_DATA else {"data": self.data}
        return {"status": "success", **data, **self.envelope_extra}


#: The answer of an operation that returns no data (request-reschedule).
NO_DATA = object()


def is_booking(uid: str = NASTY_UID, cls: type[Booking] = Booking) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert type(result) is cls
        assert result.uid == uid
        assert result.occurrences == ()

    return check


def is_series(count: int, uid: str) -> Callable[[Any], None]:
    """A series answer: the occurrence ``uid`` is returned, carrying every occurrence."""

    def check(result: Any) -> None:
        assert type(result) is RecurringBooking
        assert result.uid == uid
        assert len(result.occurrences) == count
        assert all(type(item) is RecurringBooking for item in result.occurrences)
        assert result in result.occurrences

    return check


# What the server answers a create: the booking at the start sent, with the attendee sent.
AT_START = "2024-08-13T09:00:00.000Z"


def created_json(uid: str = "booking_uid_123", email: str = "ann@example.com", **more: Any) -> Any:
    data = booking_json(uid, **{"start": AT_START, **more})
    data["attendees"] = [{**data["attendees"][0], "email": email}]
    return data


def check_create_regular(result: Any) -> None:
    assert type(result) is Booking
    assert result.start == datetime(2024, 8, 13, 9, 0, tzinfo=UTC)
    assert result.attendees[0].time_zone == "America/New_York"


def check_instant(result: Any) -> None:
    assert result.status is BookingStatus.AWAITING_HOST


def check_seated_create(result: Any) -> None:
    assert type(result) is SeatedBooking
    assert result.seat_uid == "my-seat"
    assert result.attendees[0].seat_uid == "seat-1"


def seated_created_json() -> Any:
    data = seated_json(seat_uid="my-seat")
    data["start"] = AT_START
    data["attendees"][0]["email"] = "ann@example.com"
    return data


def check_page(result: Any) -> None:
    assert isinstance(result, Page)
    assert [booking.uid for booking in result.items] == ["one", "two"]
    assert result.pagination.total_items == 12
    assert result.pagination.returned_items == 2
    assert result.has_next_page
    assert result.next_skip == 6


def check_recordings(result: Any) -> None:
    assert result == [
        Recording(
            id="1234567890",
            room_name="daily-video-room-123",
            start_ts=1678901234,
            status="finished",
            max_participants=10,
            duration=3600,
            share_token="share-token-123",
            download_link=None,
            error=None,
        )
    ]
    assert result[0].started_at == datetime(2023, 3, 15, 17, 27, 14, tzinfo=UTC)


def check_transcripts(result: Any) -> None:
    assert result == ["https://transcript1.com", "https://transcript2.com"]


def check_rescheduled(result: Any) -> None:
    assert type(result) is Booking
    assert result.uid == "new_uid"
    assert result.rescheduled_from_uid == NASTY_UID


def check_reassigned(result: Any) -> None:
    assert isinstance(result, ReassignedBooking)
    assert result.booking_uid == NASTY_UID
    assert result.reassigned_to.id == 42
    assert result.reassigned_to.display_email == "ada@example.com"


def check_links(result: Any) -> None:
    assert result == [
        CalendarLink(label="Google Calendar", link="https://calendar.google.com/x"),
        CalendarLink(label="ICS", link="data:text/calendar,BEGIN%3AVCALENDAR"),
    ]


def check_references(result: Any) -> None:
    assert result == [
        BookingReference(
            id=7,
            type=BookingReferenceType.GOOGLE_CALENDAR,
            event_uid="event-uid",
            destination_calendar_id=None,
        )
    ]


def check_sessions(result: Any) -> None:
    assert len(result) == 1
    session = result[0]
    assert isinstance(session, ConferencingSession)
    assert session.room == "daily-video-room-123"
    assert session.ongoing is False
    assert session.participants[0].user_id is None
    assert session.participants[0].user_name == "John Doe"
    assert session.participants[0].joined_at == datetime(2023, 3, 15, 17, 27, 44, tzinfo=UTC)


def check_guests(result: Any) -> None:
    assert isinstance(result, Booking)
    assert result.guests == ("guest1@example.com", "new@example.com")


PAGE_DATA = [booking_json("one", 1), booking_json("two", 2)]
PAGINATION = {"pagination": pagination_json(total=12, take=2, skip=4)}
# The first page (no skip sent), as the server describes it.
FIRST_PAGE = {"pagination": pagination_json(total=12, take=2, skip=0)}

FULL_CREATE = CreateBookingInput(
    start=START_IN_PARIS,
    attendee=ATTENDEE,
    booking_fields_responses={"customField": "customValue", "notes": ["a", 1]},
    event_type_id=123,
    event_type_slug="my-event-type",
    username="john-doe",
    team_slug="my-team",
    organization_slug="acme-corp",
    guests=["guest1@example.com", "guest2@example.com"],
    meeting_url="https://example.com/meeting",
    location=IntegrationLocation(integration=LocationIntegration.CAL_VIDEO),
    metadata={"key": "value", "count": 3, "vip": True},
    length_in_minutes=30,
    routing=CreateBookingRouting(
        response_id=123,
        team_member_ids=[101, 102],
        team_member_email="john.doe@example.com",
        skip_contact_owner=True,
        crm_app_slug="salesforce",
        crm_owner_record_type="Account",
    ),
    email_verification_code="123456",
)
FULL_CREATE_JSON = {
    "start": "2024-08-13T09:00:00.000Z",
    "attendee": ATTENDEE_JSON,
    "bookingFieldsResponses": {"customField": "customValue", "notes": ["a", 1]},
    "eventTypeId": 123,
    "eventTypeSlug": "my-event-type",
    "username": "john-doe",
    "teamSlug": "my-team",
    "organizationSlug": "acme-corp",
    "guests": ["guest1@example.com", "guest2@example.com"],
    "meetingUrl": "https://example.com/meeting",
    "location": {"type": "integration", "integration": "cal-video"},
    "metadata": {"key": "value", "count": 3, "vip": True},
    "lengthInMinutes": 30,
    "routing": {
        "responseId": 123,
        "teamMemberIds": [101, 102],
        "teamMemberEmail": "john.doe@example.com",
        "skipContactOwner": True,
        "crmAppSlug": "salesforce",
        "crmOwnerRecordType": "Account",
    },
    "emailVerificationCode": "123456",
}
MINIMAL_ATTENDEE = CreateBookingAttendee(name="Ann", time_zone="UTC", email="ann@example.com")
MINIMAL_ATTENDEE_JSON = {"name": "Ann", "timeZone": "UTC", "email": "ann@example.com"}

LIST_FILTERS: dict[str, Any] = {
    "status": [BookingListStatus.UPCOMING, BookingListStatus.UNCONFIRMED],
    "attendee_email": "ann+vip@example.com",
    "attendee_name": "Ann Smith",
    "booking_uid": "2NtaeaVcKfpmSZ4CthFdfk",
    "event_type_ids": [100, 200],
    "event_type_id": 100,
    "team_ids": [50, 60],
    "team_id": 50,
    "after_start": datetime(2025, 3, 7, 10, 0, tzinfo=UTC),
    "before_end": datetime(2025, 3, 7, 13, 0, tzinfo=timezone(timedelta(hours=2))),
    "after_created_at": datetime(2025, 3, 7, 10, 0, 0, 250000, tzinfo=UTC),
    "before_created_at": datetime(2025, 3, 14, 11, 0, tzinfo=UTC),
    "after_updated_at": datetime(2025, 3, 7, 10, 0, tzinfo=UTC),
    "before_updated_at": datetime(2025, 3, 14, 11, 0, tzinfo=UTC),
    "sort_start": SortOrder.ASC,
    "sort_end": SortOrder.DESC,
    "sort_created": SortOrder.ASC,
    "sort_updated_at": SortOrder.DESC,
    "take": 2,
    "skip": 4,
}
LIST_QUERY = sorted(
    [
        ("status", "upcoming,unconfirmed"),
        ("attendeeEmail", "ann+vip@example.com"),
        ("attendeeName", "Ann Smith"),
        ("bookingUid", "2NtaeaVcKfpmSZ4CthFdfk"),
        ("eventTypeIds", "100,200"),
        ("eventTypeId", "100"),
        ("teamsIds", "50,60"),
        ("teamId", "50"),
        ("afterStart", "2025-03-07T10:00:00.000Z"),
        ("beforeEnd", "2025-03-07T11:00:00.000Z"),
        ("afterCreatedAt", "2025-03-07T10:00:00.250Z"),
        ("beforeCreatedAt", "2025-03-14T11:00:00.000Z"),
        ("afterUpdatedAt", "2025-03-07T10:00:00.000Z"),
        ("beforeUpdatedAt", "2025-03-14T11:00:00.000Z"),
        ("sortStart", "asc"),
        ("sortEnd", "desc"),
        ("sortCreated", "asc"),
        ("sortUpdatedAt", "desc"),
        ("take", "2"),
        ("skip", "4"),
    ]
)
TEAM_FILTERS = {
    key: LIST_FILTERS[key]
    for key in (
        "status",
        "attendee_email",
        "attendee_name",
        "booking_uid",
        "event_type_ids",
        "event_type_id",
        "after_start",
        "before_end",
        "sort_start",
        "sort_end",
        "sort_created",
        "take",
        "skip",
    )
}
TEAM_QUERY = [
    pair
    for pair in LIST_QUERY
    if pair[0]
    not in {
        "teamsIds",
        "teamId",
        "afterCreatedAt",
        "beforeCreatedAt",
        "afterUpdatedAt",
        "beforeUpdatedAt",
        "sortUpdatedAt",
    }
]


async def awaited(pager: Any) -> Any:
    return await pager


# --- the operations published since January 2026 -------------------------------------------------

ATTENDEE_WITH_ID = {
    "name": "John Doe",
    "email": "john@example.com",
    "displayEmail": "john@example.com",
    "timeZone": "America/New_York",
    "language": "en",
    "absent": False,
    "phoneNumber": "+1234567890",
    "id": 251,
}
ADDED_ATTENDEE = {
    "name": "Ann Example",
    "email": "Ann@Example.com",  # the server's spelling may differ in case from the one sent
    "displayEmail": "ann@example.com",
    "timeZone": "Europe/Riga",
    "language": "lv",
    "absent": False,
    "id": 252,
    "bookingId": 313,
}
REMOVED_ATTENDEE = {
    "id": 251,
    "bookingId": 313,
    "name": "John Doe",
    "email": "john@example.com",
    "timeZone": "America/New_York",
}
TRACE_STEP = {
    "message": "Account found by website match: acme.com",
    "round": "Exact Match",
    "domain": "salesforce",
    "step": "account_found_by_website",
    "timestamp": 1717000000000,
    "data": {"website": "acme.com", "score": 0.9},
}
ROUTING_TRACE = {
    "steps": [TRACE_STEP],
    "groups": [{"round": "Exact Match", "domain": "salesforce", "steps": [TRACE_STEP]}],
    "formSubmission": {
        "form": {"name": "Sales Routing Form", "description": None},
        "responses": [
            {"fieldId": "size", "label": "Company Size", "displayValue": "Enterprise (1000+)"}
        ],
    },
}
REPORTED = {
    "success": True,
    "message": "Booking reported and cancelled successfully",
    "bookingUid": NASTY_UID,
    "reportedCount": 1,
    "cancelledCount": 3,
}
BLOCKED = {
    "success": True,
    "message": "Added to blocklist and 3 bookings cancelled",
    "bookingUid": NASTY_UID,
    "cancelledCount": 3,
    "blockedValue": "example.com",
}


def check_attendees(result: Any) -> None:
    assert result == [
        BookingAttendee(
            id=251,
            name="John Doe",
            email="john@example.com",
            display_email="john@example.com",
            time_zone="America/New_York",
            language=Language.EN,
            absent=False,
            phone_number="+1234567890",
        )
    ]


def check_attendee(result: Any) -> None:
    check_attendees([result])


def check_added_attendee(result: Any) -> None:
    assert type(result) is BookingAttendee
    assert (result.id, result.booking_id) == (252, 313)
    assert result.language is Language.LV


def check_removed_attendee(result: Any) -> None:
    assert result == BookingAttendee(
        id=251,
        booking_id=313,
        name="John Doe",
        email="john@example.com",
        time_zone="America/New_York",
    )


def check_trace(result: Any) -> None:
    assert isinstance(result, RoutingTrace)
    (step,) = result.steps
    assert step == RoutingTraceStep(
        message="Account found by website match: acme.com",
        round="Exact Match",
        domain="salesforce",
        step="account_found_by_website",
        timestamp=1717000000000,
        data={"website": "acme.com", "score": 0.9},
    )
    assert step.occurred_at == datetime(2024, 5, 29, 16, 26, 40, tzinfo=UTC)
    assert result.groups[0].steps == (step,)
    assert result.form_submission is not None
    assert result.form_submission.form is not None
    assert result.form_submission.form.name == "Sales Routing Form"
    assert result.form_submission.responses[0].display_value == "Enterprise (1000+)"


def is_value(expected: Any) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert result is expected if isinstance(expected, bool) or expected is None else True
        assert result == expected

    return check


def check_reported(result: Any) -> None:
    assert result == ReportedBooking(
        booking_uid=NASTY_UID,
        success=True,
        message="Booking reported and cancelled successfully",
        reported_count=1,
        cancelled_count=3,
    )


def check_blocked(result: Any) -> None:
    assert result == BlockedBooker(
        booking_uid=NASTY_UID,
        success=True,
        message="Added to blocklist and 3 bookings cancelled",
        cancelled_count=3,
        blocked_value="example.com",
    )


NEW_OPERATION_CASES = [
    Case(
        "attendees",
        lambda cal: cal.bookings.attendees(NASTY_UID),
        "GET",
        f"{BOOKINGS}/attendees",
        check_attendees,
        data=[ATTENDEE_WITH_ID],
    ),
    Case(
        "attendee",
        lambda cal: cal.bookings.attendee(NASTY_UID, 251),
        "GET",
        f"{BOOKINGS}/attendees/251",
        check_attendee,
        data=ATTENDEE_WITH_ID,
    ),
    Case(
        "add-attendee",
        lambda cal: cal.bookings.add_attendee(
            NASTY_UID,
            AddAttendeeInput(
                email="ann@example.com",
                name="Ann Example",
                time_zone="Europe/Riga",
                phone_number="+37120993151",
                language="lv",
            ),
        ),
        "POST",
        f"{BOOKINGS}/attendees",
        check_added_attendee,
        body={
            "name": "Ann Example",
            "timeZone": "Europe/Riga",
            "phoneNumber": "+37120993151",
            "language": "lv",
            "email": "ann@example.com",
        },
        data=ADDED_ATTENDEE,
        status=201,
    ),
    Case(
        "remove-attendee",
        lambda cal: cal.bookings.remove_attendee(NASTY_UID, 251),
        "DELETE",
        f"{BOOKINGS}/attendees/251",
        check_removed_attendee,
        data=REMOVED_ATTENDEE,
    ),
    Case(
        "request-reschedule",
        lambda cal: cal.bookings.request_reschedule(NASTY_UID, reason="I am travelling"),
        "POST",
        f"{BOOKINGS}/request-reschedule",
        is_value(None),
        body={"rescheduleReason": "I am travelling"},
        data=NO_DATA,
    ),
    Case(
        "request-reschedule-no-reason",
        lambda cal: cal.bookings.request_reschedule(NASTY_UID),
        "POST",
        f"{BOOKINGS}/request-reschedule",
        is_value(None),
        body={},
        data=NO_DATA,
    ),
    Case(
        "routing-trace",
        lambda cal: cal.bookings.routing_trace(NASTY_UID),
        "GET",
        f"{BOOKINGS}/routing-trace",
        check_trace,
        data=ROUTING_TRACE,
    ),
    Case(
        "email-verification-required",
        lambda cal: cal.bookings.email_verification_required(
            "ann+vip@example.com", user_session_email="host@example.com"
        ),
        "GET",
        "/v2/bookings/verification/email/check",
        is_value(True),
        query=[("email", "ann+vip@example.com"), ("userSessionEmail", "host@example.com")],
        data=True,
    ),
    Case(
        "send-email-verification-code",
        lambda cal: cal.bookings.send_email_verification_code(
            "ann@example.com", username="jane100", language=Language.DE, is_verifying_email=False
        ),
        "POST",
        "/v2/bookings/verification/email/send-code",
        is_value(True),
        body={
            "email": "ann@example.com",
            "username": "jane100",
            "language": "de",
            "isVerifyingEmail": False,
        },
        data={"sent": True},
    ),
    Case(
        "verify-email-code",
        lambda cal: cal.bookings.verify_email_code("ann@example.com", "123456"),
        "POST",
        "/v2/bookings/verification/email/verify-code",
        is_value(True),
        body={"email": "ann@example.com", "code": "123456"},
        data={"verified": True},
    ),
    Case(
        "org-report-booking",
        lambda cal: cal.organizations.report_booking(
            9,
            NASTY_UID,
            reason=ReportReason.DONT_KNOW_PERSON,
            report_type=BookerScope.DOMAIN,
            description="Never met them",
        ),
        "POST",
        "/v2/organizations/9/bookings/report",
        check_reported,
        body={
            "bookingUid": NASTY_UID,
            "reason": "DONT_KNOW_PERSON",
            "description": "Never met them",
            "reportType": "DOMAIN",
        },
        data=REPORTED,
    ),
    Case(
        "org-block-booking",
        lambda cal: cal.organizations.block_booking(9, NASTY_UID, block_type="DOMAIN"),
        "POST",
        "/v2/organizations/9/bookings/block",
        check_blocked,
        body={"bookingUid": NASTY_UID, "blockType": "DOMAIN"},
        data=BLOCKED,
    ),
]


CASES = [
    Case(
        "create-every-field",
        lambda cal: cal.bookings.create(FULL_CREATE),
        "POST",
        "/v2/bookings",
        check_create_regular,
        body=FULL_CREATE_JSON,
        data=created_json(email="john.doe@example.com"),
        status=201,
    ),
    Case(
        "create-instant",
        lambda cal: cal.bookings.create(
            CreateInstantBookingInput(
                start=START, attendee=MINIMAL_ATTENDEE, event_type_slug="sales", team_slug="acme"
            )
        ),
        "POST",
        "/v2/bookings",
        check_instant,
        body={
            "start": "2024-08-13T09:00:00.000Z",
            "attendee": MINIMAL_ATTENDEE_JSON,
            "eventTypeSlug": "sales",
            "teamSlug": "acme",
            "instant": True,
        },
        data=created_json(status="awaiting_host", start="2024-08-13T09:05:00.000Z"),
    ),
    Case(
        "create-recurring",
        lambda cal: cal.bookings.create(
            CreateRecurringBookingInput(
                start=START, attendee=MINIMAL_ATTENDEE, event_type_id=7, recurrence_count=3
            )
        ),
        "POST",
        "/v2/bookings",
        is_series(3, "occurrence-0"),
        body={
            "start": "2024-08-13T09:00:00.000Z",
            "attendee": MINIMAL_ATTENDEE_JSON,
            "eventTypeId": 7,
            "recurrenceCount": 3,
        },
        data=[
            {**created_json(f"occurrence-{i}"), "recurringBookingUid": "series_uid"}
            for i in range(3)
        ],
    ),
    Case(
        "create-seated",
        lambda cal: cal.bookings.create(
            CreateBookingInput(start=START, attendee=MINIMAL_ATTENDEE, event_type_id=7)
        ),
        "POST",
        "/v2/bookings",
        check_seated_create,
        body={
            "start": "2024-08-13T09:00:00.000Z",
            "attendee": MINIMAL_ATTENDEE_JSON,
            "eventTypeId": 7,
        },
        data=seated_created_json(),
    ),
    Case(
        "list-every-filter",
        lambda cal: awaited(cal.bookings.list(**LIST_FILTERS)),
        "GET",
        "/v2/bookings",
        check_page,
        query=LIST_QUERY,
        data=PAGE_DATA,
        envelope_extra=PAGINATION,
    ),
    Case(
        "list-no-filter",
        lambda cal: awaited(cal.bookings.list()),
        "GET",
        "/v2/bookings",
        lambda page: None,
        data=PAGE_DATA,
        envelope_extra=FIRST_PAGE,
    ),
    Case(
        "list-one-status",
        lambda cal: awaited(cal.bookings.list(status=BookingListStatus.PAST)),
        "GET",
        "/v2/bookings",
        lambda page: None,
        query=[("status", "past")],
        data=PAGE_DATA,
        envelope_extra=FIRST_PAGE,
    ),
    Case(
        "get",
        lambda cal: cal.bookings.get(NASTY_UID),
        "GET",
        BOOKINGS,
        is_booking(),
    ),
    Case(
        "get-series",
        lambda cal: cal.bookings.get(NASTY_UID),
        "GET",
        BOOKINGS,
        is_series(2, "r1"),
        data=[recurring_json("r1", NASTY_UID), recurring_json("r2", NASTY_UID)],
    ),
    Case(
        "get-by-seat",
        lambda cal: cal.bookings.get_by_seat("seat/1"),
        "GET",
        "/v2/bookings/by-seat/seat%2F1",
        is_booking("seated_uid", SeatedBooking),
        data=seated_json(seat="seat/1"),
    ),
    Case(
        "recordings",
        lambda cal: cal.bookings.recordings(NASTY_UID),
        "GET",
        f"{BOOKINGS}/recordings",
        check_recordings,
        data=[RECORDING_JSON],
    ),
    Case(
        "transcripts",
        lambda cal: cal.bookings.transcripts(NASTY_UID),
        "GET",
        f"{BOOKINGS}/transcripts",
        check_transcripts,
        data=["https://transcript1.com", "https://transcript2.com"],
    ),
    Case(
        "reschedule",
        lambda cal: cal.bookings.reschedule(
            NASTY_UID,
            start=START_IN_PARIS,
            rescheduled_by="owner@example.com",
            reason="User requested reschedule",
            email_verification_code="123456",
        ),
        "POST",
        f"{BOOKINGS}/reschedule",
        check_rescheduled,
        body={
            "start": "2024-08-13T09:00:00.000Z",
            "rescheduledBy": "owner@example.com",
            "reschedulingReason": "User requested reschedule",
            "emailVerificationCode": "123456",
        },
        data=booking_json("new_uid", rescheduledFromUid=NASTY_UID, start=AT_START),
        status=201,
    ),
    Case(
        "reschedule-only-start",
        lambda cal: cal.bookings.reschedule(NASTY_UID, start=START),
        "POST",
        f"{BOOKINGS}/reschedule",
        check_rescheduled,
        body={"start": "2024-08-13T09:00:00.000Z"},
        data=booking_json("new_uid", rescheduledFromUid=NASTY_UID, start=AT_START),
    ),
    Case(
        "reschedule-as-host",
        lambda cal: cal.bookings.reschedule(
            NASTY_UID,
            start=START,
            allow_conflicts=True,
            allow_booking_out_of_bounds=False,
            skip_booking_limits=True,
        ),
        "POST",
        f"{BOOKINGS}/reschedule",
        check_rescheduled,
        body={
            "allowConflicts": True,
            "allowBookingOutOfBounds": False,
            "skipBookingLimits": True,
            "start": "2024-08-13T09:00:00.000Z",
        },
        data=booking_json("new_uid", rescheduledFromUid=NASTY_UID, start=AT_START),
    ),
    Case(
        "reschedule-seat",
        lambda cal: cal.bookings.reschedule(
            NASTY_UID, start=START, seat_uid="seat-1", rescheduled_by="ann@example.com"
        ),
        "POST",
        f"{BOOKINGS}/reschedule",
        is_booking("new_seat", SeatedBooking),
        body={
            "start": "2024-08-13T09:00:00.000Z",
            "rescheduledBy": "ann@example.com",
            "seatUid": "seat-1",
        },
        data={**seated_json("new_seat", seat_uid="seat-9"), "start": AT_START},
    ),
    Case(
        "cancel-empty-body",
        lambda cal: cal.bookings.cancel(NASTY_UID),
        "POST",
        f"{BOOKINGS}/cancel",
        is_booking(),
        body={},
        data=booking_json(NASTY_UID, status="cancelled"),
    ),
    Case(
        "cancel-subsequent",
        lambda cal: cal.bookings.cancel(
            NASTY_UID, reason="User requested cancellation", cancel_subsequent_bookings=True
        ),
        "POST",
        f"{BOOKINGS}/cancel",
        is_series(2, NASTY_UID),
        body={
            "cancellationReason": "User requested cancellation",
            "cancelSubsequentBookings": True,
        },
        data=[recurring_json(NASTY_UID), recurring_json("r2")],
    ),
    Case(
        "cancel-seat",
        lambda cal: cal.bookings.cancel(NASTY_UID, seat_uid="seat-1", reason="Cannot come"),
        "POST",
        f"{BOOKINGS}/cancel",
        is_booking(NASTY_UID, SeatedBooking),
        body={"seatUid": "seat-1", "cancellationReason": "Cannot come"},
        data=seated_json(NASTY_UID),
    ),
    Case(
        "mark-absent",
        lambda cal: cal.bookings.mark_absent(
            NASTY_UID,
            host=False,
            attendees=[MarkAbsentAttendee(email="john@example.com", absent=True)],
        ),
        "POST",
        f"{BOOKINGS}/mark-absent",
        is_booking(),
        body={"host": False, "attendees": [{"email": "john@example.com", "absent": True}]},
    ),
    Case(
        "reassign",
        lambda cal: cal.bookings.reassign(NASTY_UID),
        "POST",
        f"{BOOKINGS}/reassign",
        check_reassigned,
        data=REASSIGNED_JSON,
    ),
    Case(
        "reassign-to",
        lambda cal: cal.bookings.reassign_to(NASTY_UID, 42, reason="Host has to take another call"),
        "POST",
        f"{BOOKINGS}/reassign/42",
        check_reassigned,
        body={"reason": "Host has to take another call"},
        data=REASSIGNED_JSON,
    ),
    Case(
        "reassign-to-no-reason",
        lambda cal: cal.bookings.reassign_to(NASTY_UID, 42),
        "POST",
        f"{BOOKINGS}/reassign/42",
        check_reassigned,
        body={},
        data=REASSIGNED_JSON,
    ),
    Case(
        "confirm",
        lambda cal: cal.bookings.confirm(NASTY_UID),
        "POST",
        f"{BOOKINGS}/confirm",
        is_booking(),
    ),
    Case(
        "decline",
        lambda cal: cal.bookings.decline(NASTY_UID, reason="Host has to take another call"),
        "POST",
        f"{BOOKINGS}/decline",
        is_booking(),
        body={"reason": "Host has to take another call"},
        data=booking_json(NASTY_UID, status="rejected"),
    ),
    Case(
        "calendar-links",
        lambda cal: cal.bookings.calendar_links(NASTY_UID),
        "GET",
        f"{BOOKINGS}/calendar-links",
        check_links,
        data=[
            {"label": "Google Calendar", "link": "https://calendar.google.com/x"},
            {"label": "ICS", "link": "data:text/calendar,BEGIN%3AVCALENDAR"},
        ],
    ),
    Case(
        "references",
        lambda cal: cal.bookings.references(NASTY_UID),
        "GET",
        f"{BOOKINGS}/references",
        check_references,
        data=[REFERENCE_JSON],
    ),
    Case(
        "references-of-a-type",
        lambda cal: cal.bookings.references(NASTY_UID, type=BookingReferenceType.GOOGLE_CALENDAR),
        "GET",
        f"{BOOKINGS}/references",
        check_references,
        query=[("type", "google_calendar")],
        data=[REFERENCE_JSON],
    ),
    Case(
        "conferencing-sessions",
        lambda cal: cal.bookings.conferencing_sessions(NASTY_UID),
        "GET",
        f"{BOOKINGS}/conferencing-sessions",
        check_sessions,
        data=[SESSION_JSON],
    ),
    Case(
        "update-location",
        lambda cal: cal.bookings.update_location(
            NASTY_UID, UpdateLinkLocation(link="https://meet.google.com/txi-fein-xyz")
        ),
        "PATCH",
        f"{BOOKINGS}/location",
        is_booking(),
        body={"location": {"type": "link", "link": "https://meet.google.com/txi-fein-xyz"}},
    ),
    Case(
        "add-guests",
        lambda cal: cal.bookings.add_guests(
            NASTY_UID,
            [
                Guest(email="new@example.com", name="New Guest", time_zone="Europe/Riga"),
                Guest(email="other@example.com", phone_number="+37120993151", language="pt-BR"),
            ],
        ),
        "POST",
        f"{BOOKINGS}/guests",
        check_guests,
        body={
            "guests": [
                {"email": "new@example.com", "name": "New Guest", "timeZone": "Europe/Riga"},
                {"email": "other@example.com", "phoneNumber": "+37120993151", "language": "pt-BR"},
            ]
        },
        data=booking_json(NASTY_UID, guests=["guest1@example.com", "new@example.com"]),
    ),
    Case(
        "update-location-integration",
        lambda cal: cal.bookings.update_location(
            NASTY_UID, IntegrationLocation(integration=LocationIntegration.GOOGLE_MEET)
        ),
        "PATCH",
        f"{BOOKINGS}/location",
        is_booking(),
        body={"location": {"type": "integration", "integration": "google-meet"}},
    ),
    *NEW_OPERATION_CASES,
    Case(
        "org-bookings",
        lambda cal: awaited(cal.organizations.bookings(9, user_ids=[100, 200], **LIST_FILTERS)),
        "GET",
        "/v2/organizations/9/bookings",
        check_page,
        query=sorted([*LIST_QUERY, ("userIds", "100,200")]),
        data=PAGE_DATA,
        envelope_extra=PAGINATION,
    ),
    Case(
        "org-team-bookings",
        lambda cal: awaited(cal.organizations.team_bookings(9, 5, **TEAM_FILTERS)),
        "GET",
        "/v2/organizations/9/teams/5/bookings",
        check_page,
        query=TEAM_QUERY,
        data=PAGE_DATA,
        envelope_extra=PAGINATION,
    ),
    Case(
        "org-team-booking-references",
        lambda cal: cal.organizations.team_booking_references(
            9, 5, NASTY_UID, type=BookingReferenceType.GOOGLE_CALENDAR
        ),
        "GET",
        f"/v2/organizations/9/teams/5/bookings/{NASTY_UID_ENCODED}/references",
        check_references,
        query=[("type", "google_calendar")],
        data=[REFERENCE_JSON],
    ),
    Case(
        "org-user-bookings",
        lambda cal: awaited(cal.organizations.user_bookings(9, 3, **LIST_FILTERS)),
        "GET",
        "/v2/organizations/9/users/3/bookings",
        check_page,
        query=LIST_QUERY,
        data=PAGE_DATA,
        envelope_extra=PAGINATION,
    ),
]


@pytest.fixture
def api() -> MockAPI:
    return MockAPI()


@pytest.fixture
async def cal(api: MockAPI) -> AsyncIterator[CalBookings]:
    async with api.client() as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_endpoint_request_and_result(api: MockAPI, cal: CalBookings, case: Case) -> None:
    api.reply(case.envelope(), status=case.status)
    result = await case.call(cal)
    assert len(api.sent) == 1
    sent = api.last
    assert sent.method == case.method
    assert sent.url.scheme == "https"
    assert sent.url.host == "api.cal.com"
    assert sent.raw_path == case.path
    assert sent.query == sorted(case.query)
    assert sent.headers["cal-api-version"] == "2024-08-13"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    if case.body is None:
        assert sent.body is None
        assert "Content-Type" not in sent.headers
    else:
        assert sent.body == case.body
        assert list(sent.body) == list(case.body)  # keys in the spec's order too
        assert sent.headers["Content-Type"] == "application/json"
    case.check(result)


CREATE_LOCATIONS = [
    (AddressLocation(), {"type": "address"}),
    (
        AttendeeAddressLocation(address="123 Example St"),
        {"type": "attendeeAddress", "address": "123 Example St"},
    ),
    (AttendeeDefinedLocation(location="Cafe"), {"type": "attendeeDefined", "location": "Cafe"}),
    (
        AttendeePhoneLocation(phone="+37120993151"),
        {"type": "attendeePhone", "phone": "+37120993151"},
    ),
    (IntegrationLocation(integration="zoom"), {"type": "integration", "integration": "zoom"}),
    (LinkLocation(), {"type": "link"}),
    (PhoneLocation(), {"type": "phone"}),
    (OrganizersDefaultAppLocation(), {"type": "organizersDefaultApp"}),
]


@pytest.mark.parametrize(
    ("location", "expected"), CREATE_LOCATIONS, ids=[e["type"] for _, e in CREATE_LOCATIONS]
)
async def test_create_sends_every_location_variant(
    api: MockAPI, cal: CalBookings, location: Any, expected: dict[str, Any]
) -> None:
    api.data(created_json(), status=201)
    await cal.bookings.create(
        CreateBookingInput(
            start=START, attendee=MINIMAL_ATTENDEE, event_type_id=1, location=location
        )
    )
    assert api.last.body["location"] == expected


UPDATE_LOCATIONS = [
    (UpdateAddressLocation(address="1 Main St"), {"type": "address", "address": "1 Main St"}),
    (
        AttendeeAddressLocation(address="2 Side St"),
        {"type": "attendeeAddress", "address": "2 Side St"},
    ),
    (AttendeeDefinedLocation(location="Park"), {"type": "attendeeDefined", "location": "Park"}),
    (AttendeePhoneLocation(phone="+100"), {"type": "attendeePhone", "phone": "+100"}),
    (UpdateLinkLocation(link="https://x.example"), {"type": "link", "link": "https://x.example"}),
    (UpdatePhoneLocation(phone="+200"), {"type": "phone", "phone": "+200"}),
    (
        IntegrationLocation(integration="jitsi"),
        {"type": "integration", "integration": "jitsi"},
    ),
]


@pytest.mark.parametrize(
    ("location", "expected"), UPDATE_LOCATIONS, ids=[e["type"] for _, e in UPDATE_LOCATIONS]
)
async def test_update_location_sends_every_variant(
    api: MockAPI, cal: CalBookings, location: Any, expected: dict[str, Any]
) -> None:
    api.data(booking_json("uid"))
    await cal.bookings.update_location("uid", location)
    assert api.last.body == {"location": expected}


async def test_update_location_returns_every_occurrence_of_a_series(
    api: MockAPI, cal: CalBookings
) -> None:
    api.data([recurring_json("r1", "series"), recurring_json("r2", "series")])
    result = await cal.bookings.update_location("series", UpdatePhoneLocation(phone="+1"))
    assert result.uid == "r1"
    assert [booking.uid for booking in result.occurrences] == ["r1", "r2"]


async def test_seated_variants_decode_through_every_booking_endpoint(
    api: MockAPI, cal: CalBookings
) -> None:
    api.data(seated_json("x"))
    for result in [
        await cal.bookings.get("x"),
        await cal.bookings.confirm("x"),
        await cal.bookings.cancel("x"),
        await cal.bookings.add_guests("x", [Guest(email="a@example.com")]),
    ]:
        assert type(result) is SeatedBooking
    assert len(api.sent) == 4


# --- which operations are repeated after a 503 ---------------------------------------------------

SAFE = {
    "list-no-filter",
    "get",
    "recordings",
    "transcripts",
    "cancel-empty-body",
    "mark-absent",
    "reassign-to",
    "confirm",
    "decline",
    "calendar-links",
    "references",
    "conferencing-sessions",
    "update-location",
    "org-bookings",
    "org-team-bookings",
    "org-team-booking-references",
    "org-user-bookings",
    "get-by-seat",
    "attendees",
    "attendee",
    "remove-attendee",
    "request-reschedule",
    "routing-trace",
    "email-verification-required",
    "verify-email-code",
    "org-block-booking",
}
UNSAFE = {
    "create-every-field",
    "create-instant",
    "create-recurring",
    "reschedule",
    "reassign",
    "add-guests",
    "add-attendee",
    "send-email-verification-code",
    "org-report-booking",
}
RETRY_CASES = [case for case in CASES if case.id in SAFE | UNSAFE]


def test_the_retry_table_covers_one_case_per_operation() -> None:
    assert len({case.id for case in RETRY_CASES}) == len(SAFE) + len(UNSAFE)


@pytest.mark.parametrize("case", RETRY_CASES, ids=[case.id for case in RETRY_CASES])
async def test_only_safe_operations_are_repeated_after_a_server_error(
    api: MockAPI, cal: CalBookings, case: Case
) -> None:
    api.reply({"status": "error", "error": {"code": "X", "message": "down"}}, status=502)
    api.reply(case.envelope(), status=case.status)
    if case.id in SAFE:
        result = await case.call(cal)
        case.check(result)
        assert len(api.sent) == 2
    else:
        with pytest.raises(ServerError) as raised:
            await case.call(cal)
        assert raised.value.may_have_been_applied
        assert len(api.sent) == 1


async def test_client_views_carry_both_resources(api: MockAPI, cal: CalBookings) -> None:
    view = cal.with_options(retry_unsafe=True)
    api.reply({"status": "error", "error": {"code": "X", "message": "down"}}, status=502)
    api.data(created_json(), status=201)
    await view.bookings.create(
        CreateBookingInput(start=START, attendee=MINIMAL_ATTENDEE, event_type_id=1)
    )
    assert len(api.sent) == 2  # create repeated: the view opted in
    api.reply({"status": "success", "data": PAGE_DATA, **FIRST_PAGE})
    page = await view.organizations.bookings(3, take=2)
    assert api.last.raw_path == "/v2/organizations/3/bookings"
    assert len(page) == 2


@pytest.mark.parametrize(
    ("data", "path"),
    [(["https://a.example", 7], "$.data[1]"), ({"url": "x"}, "$.data")],
    ids=["not-a-string", "not-an-array"],
)
async def test_transcripts_that_are_not_strings_are_a_decode_error(
    api: MockAPI, cal: CalBookings, data: Any, path: str
) -> None:
    api.data(data)
    with pytest.raises(DecodeError) as raised:
        await cal.bookings.transcripts("uid")
    assert raised.value.path == path


async def test_a_reassign_result_without_the_new_host_is_a_decode_error(
    api: MockAPI, cal: CalBookings
) -> None:
    api.data({"bookingUid": "uid"})
    with pytest.raises(DecodeError) as raised:
        await cal.bookings.reassign("uid")
    assert raised.value.path == "$.data.reassignedTo"

"""Every endpoint through a real client and aioresponses: what goes on the wire, what comes back.

For each operation: the HTTP method, the path (path parameters percent-encoded: the uid used
holds ``/``, ``?``, ``#``, a space and ``%``), the query, the headers, the exact JSON body, and
the decoded result. Then which operations are retried after a 503 (the ``idempotent=``
declarations, observed from outside).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from _endpoint_helpers import (
    API_KEY,
    NASTY_UID,
    NASTY_UID_ENCODED,
    booking_json,
    mock_api,
    pagination_json,
    recurring_json,
    seated_json,
)

from calbookings_async import (
    AddressLocation,
    AttendeeAddressLocation,
    AttendeeDefinedLocation,
    AttendeePhoneLocation,
    Booking,
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
    data: Any = attrs.field(factory=booking_json)
    envelope_extra: dict[str, Any] = attrs.field(factory=dict)


def is_booking(uid: str = "booking_uid_123", cls: type[Booking] = Booking) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert type(result) is cls
        assert result.uid == uid

    return check


def is_series(count: int) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert isinstance(result, list)
        assert len(result) == count
        assert all(type(item) is RecurringBooking for item in result)

    return check


def check_create_regular(result: Any) -> None:
    assert type(result) is Booking
    assert result.start == datetime(2024, 8, 13, 15, 30, tzinfo=UTC)
    assert result.attendees[0].time_zone == "America/New_York"


def check_instant(result: Any) -> None:
    assert result.status is BookingStatus.AWAITING_HOST


def check_seated_create(result: Any) -> None:
    assert type(result) is SeatedBooking
    assert result.seat_uid == "my-seat"
    assert result.attendees[0].seat_uid == "seat-1"


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


CASES = [
    Case(
        "create-every-field",
        lambda cal: cal.bookings.create(FULL_CREATE),
        "POST",
        "/v2/bookings",
        check_create_regular,
        body=FULL_CREATE_JSON,
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
        data=booking_json(status="awaiting_host"),
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
        is_series(3),
        body={
            "start": "2024-08-13T09:00:00.000Z",
            "attendee": MINIMAL_ATTENDEE_JSON,
            "eventTypeId": 7,
            "recurrenceCount": 3,
        },
        data=[recurring_json(f"occurrence-{i}") for i in range(3)],
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
        data=seated_json(seat_uid="my-seat"),
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
        envelope_extra=PAGINATION,
    ),
    Case(
        "list-one-status",
        lambda cal: awaited(cal.bookings.list(status=BookingListStatus.PAST)),
        "GET",
        "/v2/bookings",
        lambda page: None,
        query=[("status", "past")],
        data=PAGE_DATA,
        envelope_extra=PAGINATION,
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
        is_series(2),
        data=[recurring_json("r1"), recurring_json("r2")],
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
        data=booking_json("new_uid", rescheduledFromUid=NASTY_UID),
    ),
    Case(
        "reschedule-only-start",
        lambda cal: cal.bookings.reschedule(NASTY_UID, start=START),
        "POST",
        f"{BOOKINGS}/reschedule",
        check_rescheduled,
        body={"start": "2024-08-13T09:00:00.000Z"},
        data=booking_json("new_uid", rescheduledFromUid=NASTY_UID),
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
        data=seated_json("new_seat", seat_uid="seat-9"),
    ),
    Case(
        "cancel-empty-body",
        lambda cal: cal.bookings.cancel(NASTY_UID),
        "POST",
        f"{BOOKINGS}/cancel",
        is_booking(),
        body={},
        data=booking_json(status="cancelled"),
    ),
    Case(
        "cancel-subsequent",
        lambda cal: cal.bookings.cancel(
            NASTY_UID, reason="User requested cancellation", cancel_subsequent_bookings=True
        ),
        "POST",
        f"{BOOKINGS}/cancel",
        is_series(2),
        body={
            "cancellationReason": "User requested cancellation",
            "cancelSubsequentBookings": True,
        },
        data=[recurring_json("r1"), recurring_json("r2")],
    ),
    Case(
        "cancel-seat",
        lambda cal: cal.bookings.cancel(NASTY_UID, seat_uid="seat-1", reason="Cannot come"),
        "POST",
        f"{BOOKINGS}/cancel",
        is_booking("seated_uid", SeatedBooking),
        body={"seatUid": "seat-1", "cancellationReason": "Cannot come"},
        data=seated_json(),
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
        data=booking_json(status="rejected"),
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
        data=booking_json(guests=["guest1@example.com", "new@example.com"]),
    ),
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
async def cal() -> Any:
    client = CalBookings(api_key=API_KEY)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_endpoint_request_and_result(cal: CalBookings, case: Case) -> None:
    with mock_api() as api:
        api.reply({"status": "success", "data": case.data, **case.envelope_extra})
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
    cal: CalBookings, location: Any, expected: dict[str, Any]
) -> None:
    with mock_api() as api:
        api.data(booking_json(), status=201)
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
]


@pytest.mark.parametrize(
    ("location", "expected"), UPDATE_LOCATIONS, ids=[e["type"] for _, e in UPDATE_LOCATIONS]
)
async def test_update_location_sends_every_variant(
    cal: CalBookings, location: Any, expected: dict[str, Any]
) -> None:
    with mock_api() as api:
        api.data(booking_json())
        await cal.bookings.update_location("uid", location)
    assert api.last.body == {"location": expected}


async def test_update_location_returns_every_occurrence_of_a_series(cal: CalBookings) -> None:
    with mock_api() as api:
        api.data([recurring_json("r1"), recurring_json("r2")])
        result = await cal.bookings.update_location("series", UpdatePhoneLocation(phone="+1"))
    assert isinstance(result, list)
    assert [booking.uid for booking in result] == ["r1", "r2"]


async def test_seated_variants_decode_through_every_booking_endpoint(cal: CalBookings) -> None:
    with mock_api() as api:
        api.data(seated_json())
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
}
UNSAFE = {
    "create-every-field",
    "create-instant",
    "create-recurring",
    "reschedule",
    "reassign",
    "add-guests",
}
RETRY_CASES = [case for case in CASES if case.id in SAFE | UNSAFE]


def test_the_retry_table_covers_one_case_per_operation() -> None:
    assert len({case.id for case in RETRY_CASES}) == len(SAFE) + len(UNSAFE)


@pytest.mark.parametrize("case", RETRY_CASES, ids=[case.id for case in RETRY_CASES])
async def test_only_safe_operations_are_repeated_after_a_server_error(
    cal: CalBookings, case: Case
) -> None:
    with mock_api() as api:
        api.reply({"status": "error", "error": {"code": "X", "message": "down"}}, status=502)
        api.reply({"status": "success", "data": case.data, **case.envelope_extra})
        if case.id in SAFE:
            result = await case.call(cal)
            case.check(result)
            assert len(api.sent) == 2
        else:
            with pytest.raises(ServerError) as raised:
                await case.call(cal)
            assert raised.value.may_have_been_applied
            assert len(api.sent) == 1


async def test_client_views_carry_both_resources(cal: CalBookings) -> None:
    view = cal.with_options(retry_unsafe=True)
    with mock_api() as api:
        api.reply({"status": "error", "error": {"code": "X", "message": "down"}}, status=502)
        api.data(booking_json(), status=201)
        await view.bookings.create(
            CreateBookingInput(start=START, attendee=MINIMAL_ATTENDEE, event_type_id=1)
        )
        assert len(api.sent) == 2  # create repeated: the view opted in
        api.reply({"status": "success", "data": PAGE_DATA, **PAGINATION})
        page = await view.organizations.bookings(3, take=2)
    assert api.last.raw_path == "/v2/organizations/3/bookings"
    assert len(page) == 2


@pytest.mark.parametrize(
    ("data", "path"),
    [(["https://a.example", 7], "$.data[1]"), ({"url": "x"}, "$.data")],
    ids=["not-a-string", "not-an-array"],
)
async def test_transcripts_that_are_not_strings_are_a_decode_error(
    cal: CalBookings, data: Any, path: str
) -> None:
    with mock_api() as api:
        api.data(data)
        with pytest.raises(DecodeError) as raised:
            await cal.bookings.transcripts("uid")
    assert raised.value.path == path


async def test_a_reassign_result_without_the_new_host_is_a_decode_error(cal: CalBookings) -> None:
    with mock_api() as api:
        api.data({"bookingUid": "uid"})
        with pytest.raises(DecodeError) as raised:
            await cal.bookings.reassign("uid")
    assert raised.value.path == "$.data.reassignedTo"

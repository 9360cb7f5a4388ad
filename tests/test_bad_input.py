"""Bad input from the caller: one table, every public entry point, nothing sent.

Each row is one call with one malformed argument: every method of ``cal.bookings`` and
``cal.organizations``, ``cal.bulk``/``cal.bulk_all``, ``cal.with_options``, the ``CalBookings``
constructor, ``RetryPolicy``, ``Timeout``, ``AdaptivePacer`` and every input class. Each must
raise ``InvalidArgumentError`` whose ``argument`` names what the caller wrote (a keyword
argument, ``guests[2]``, or ``Class.field`` for an input class), before anything reaches the
network: the client points at a real loopback server that counts requests, and it must count
none. (``tests/test_endpoints_validation.py`` checks more values per argument through a mock.)
"""

# ruff: noqa: E501  (one row to a line reads best)

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from _helpers import API_KEY, ScriptedServer

from calbookings_async import (
    AdaptivePacer,
    AddAttendeeInput,
    AddressLocation,
    AttendeeAddressLocation,
    AttendeeDefinedLocation,
    AttendeePhoneLocation,
    Bookings,
    CalBookings,
    CreateBookingAttendee,
    CreateBookingInput,
    CreateBookingRouting,
    CreateInstantBookingInput,
    CreateRecurringBookingInput,
    Guest,
    IntegrationLocation,
    InvalidArgumentError,
    LinkLocation,
    MarkAbsentAttendee,
    Organizations,
    PacerBinding,
    RetryPolicy,
    Timeout,
    UpdateAddressLocation,
    UpdateLinkLocation,
    UpdatePhoneLocation,
)

START = datetime(2030, 8, 13, 9, 0, tzinfo=timezone.utc)
NAIVE = datetime(2030, 8, 13, 9, 0)
ATTENDEE = CreateBookingAttendee(name="Ann", time_zone="UTC", email="ann@example.com")
GUEST = Guest(email="g@example.com")
LINK = UpdateLinkLocation(link="https://meet.example.com/a")
NEW_ATTENDEE = AddAttendeeInput(email="new@example.com", name="New", time_zone="Europe/Riga")


def create(cls: Any = CreateBookingInput, **fields: Any) -> Any:
    values: dict[str, Any] = {"start": START, "attendee": ATTENDEE, "event_type_id": 1, **fields}
    return cls(**values)


async def _async_hook(_record: Any) -> None:
    return None


#: Malformed uids, each refused wherever a booking (or seat) uid goes.
BAD_UIDS: dict[str, Any] = {
    "empty": "",
    "blank": "   ",
    "int": 123,
    "none": None,
    "bytes": b"uid",
    "newline": "uid\nHost: evil",
    "nul": "uid\x00",
    "del": "uid\x7f",
    "dot": ".",
    "dotdot": "..",
}

#: Every method that takes a booking uid first, called with that uid and valid other arguments.
UID_METHODS: dict[str, Callable[[CalBookings, Any], Any]] = {
    "get": lambda cal, uid: cal.bookings.get(uid),
    "recordings": lambda cal, uid: cal.bookings.recordings(uid),
    "transcripts": lambda cal, uid: cal.bookings.transcripts(uid),
    "calendar_links": lambda cal, uid: cal.bookings.calendar_links(uid),
    "references": lambda cal, uid: cal.bookings.references(uid),
    "conferencing_sessions": lambda cal, uid: cal.bookings.conferencing_sessions(uid),
    "reschedule": lambda cal, uid: cal.bookings.reschedule(uid, start=START),
    "cancel": lambda cal, uid: cal.bookings.cancel(uid),
    "decline": lambda cal, uid: cal.bookings.decline(uid),
    "confirm": lambda cal, uid: cal.bookings.confirm(uid),
    "mark_absent": lambda cal, uid: cal.bookings.mark_absent(uid, host=True),
    "reassign": lambda cal, uid: cal.bookings.reassign(uid),
    "reassign_to": lambda cal, uid: cal.bookings.reassign_to(uid, 7),
    "update_location": lambda cal, uid: cal.bookings.update_location(uid, LINK),
    "add_guests": lambda cal, uid: cal.bookings.add_guests(uid, [GUEST]),
    "team_booking_references": lambda cal, uid: cal.organizations.team_booking_references(
        1, 2, uid
    ),
    "attendees": lambda cal, uid: cal.bookings.attendees(uid),
    "attendee": lambda cal, uid: cal.bookings.attendee(uid, 5),
    "add_attendee": lambda cal, uid: cal.bookings.add_attendee(uid, NEW_ATTENDEE),
    "remove_attendee": lambda cal, uid: cal.bookings.remove_attendee(uid, 5),
    "request_reschedule": lambda cal, uid: cal.bookings.request_reschedule(uid),
    "routing_trace": lambda cal, uid: cal.bookings.routing_trace(uid),
}

Call = Callable[[CalBookings], Any]

ROWS: list[tuple[str, Call, str]] = [
    (f"{method}-uid-{name}", (lambda cal, m=method, u=uid: UID_METHODS[m](cal, u)), "booking_uid")
    for method in UID_METHODS
    for name, uid in BAD_UIDS.items()
]
ROWS += [
    (f"get-by-seat-uid-{name}", (lambda cal, u=uid: cal.bookings.get_by_seat(u)), "seat_uid")
    for name, uid in BAD_UIDS.items()
]
ROWS += [
    # --- cal.bookings: the other arguments --------------------------------------------------
    ("create-dict", lambda cal: cal.bookings.create({"start": "2030-01-01T00:00:00Z"}), "booking"),
    ("create-none", lambda cal: cal.bookings.create(None), "booking"),
    ("list-take-0", lambda cal: cal.bookings.list(take=0), "take"),
    ("list-take-251", lambda cal: cal.bookings.list(take=251), "take"),
    ("list-take-str", lambda cal: cal.bookings.list(take="10"), "take"),
    ("list-take-bool", lambda cal: cal.bookings.list(take=True), "take"),
    ("list-take-float", lambda cal: cal.bookings.list(take=10.0), "take"),
    ("list-skip-negative", lambda cal: cal.bookings.list(skip=-1), "skip"),
    ("list-skip-none", lambda cal: cal.bookings.list(skip=None), "skip"),
    ("list-concurrency-0", lambda cal: cal.bookings.list(concurrency=0), "concurrency"),
    ("list-email-crlf", lambda cal: cal.bookings.list(attendee_email="a@b.co\r\nX: y"), "attendee_email"),
    ("list-name-control", lambda cal: cal.bookings.list(attendee_name="a\x00"), "attendee_name"),
    ("list-booking-uid", lambda cal: cal.bookings.list(booking_uid="a\nb"), "booking_uid"),
    ("list-naive-after-start", lambda cal: cal.bookings.list(after_start=NAIVE), "after_start"),
    ("list-naive-before-end", lambda cal: cal.bookings.list(before_end=NAIVE), "before_end"),
    ("list-naive-after-created", lambda cal: cal.bookings.list(after_created_at=NAIVE), "after_created_at"),
    ("list-naive-before-created", lambda cal: cal.bookings.list(before_created_at=NAIVE), "before_created_at"),
    ("list-naive-after-updated", lambda cal: cal.bookings.list(after_updated_at=NAIVE), "after_updated_at"),
    ("list-str-before-updated", lambda cal: cal.bookings.list(before_updated_at="2030-01-01"), "before_updated_at"),
    ("list-status", lambda cal: cal.bookings.list(status="bogus"), "status"),
    ("list-status-item", lambda cal: cal.bookings.list(status=["upcoming", "bogus"]), "status[1]"),
    ("list-sort-start", lambda cal: cal.bookings.list(sort_start="sideways"), "sort_start"),
    ("list-sort-end", lambda cal: cal.bookings.list(sort_end=1), "sort_end"),
    ("list-sort-created", lambda cal: cal.bookings.list(sort_created="up"), "sort_created"),
    ("list-sort-updated", lambda cal: cal.bookings.list(sort_updated_at="up"), "sort_updated_at"),
    ("list-event-type-ids", lambda cal: cal.bookings.list(event_type_ids=["1"]), "event_type_ids[0]"),
    ("list-event-type-id", lambda cal: cal.bookings.list(event_type_id=-1), "event_type_id"),
    ("list-team-ids", lambda cal: cal.bookings.list(team_ids="12"), "team_ids"),
    ("list-team-id", lambda cal: cal.bookings.list(team_id="12"), "team_id"),
    ("references-type", lambda cal: cal.bookings.references("u", type="bogus"), "type"),
    ("reschedule-naive", lambda cal: cal.bookings.reschedule("u", start=NAIVE), "start"),
    ("reschedule-str-start", lambda cal: cal.bookings.reschedule("u", start="2030-01-01T00:00:00Z"), "start"),
    ("reschedule-by", lambda cal: cal.bookings.reschedule("u", start=START, rescheduled_by="bob"), "rescheduled_by"),
    ("reschedule-reason", lambda cal: cal.bookings.reschedule("u", start=START, reason=5), "reason"),
    ("reschedule-seat", lambda cal: cal.bookings.reschedule("u", start=START, seat_uid="s\n"), "seat_uid"),
    ("reschedule-code", lambda cal: cal.bookings.reschedule("u", start=START, email_verification_code=""), "email_verification_code"),
    ("cancel-reason", lambda cal: cal.bookings.cancel("u", reason=5), "reason"),
    ("cancel-reason-nul", lambda cal: cal.bookings.cancel("u", reason="a\x00"), "reason"),
    ("cancel-subsequent", lambda cal: cal.bookings.cancel("u", cancel_subsequent_bookings="yes"), "cancel_subsequent_bookings"),
    ("cancel-seat", lambda cal: cal.bookings.cancel("u", seat_uid=""), "seat_uid"),
    ("decline-reason", lambda cal: cal.bookings.decline("u", reason=["r"]), "reason"),
    ("mark-absent-host", lambda cal: cal.bookings.mark_absent("u", host="no"), "host"),
    ("mark-absent-empty", lambda cal: cal.bookings.mark_absent("u", attendees=[]), "attendees"),
    ("mark-absent-string", lambda cal: cal.bookings.mark_absent("u", attendees="a@b.co"), "attendees"),
    ("mark-absent-dict", lambda cal: cal.bookings.mark_absent("u", attendees=[{"email": "a@b.co", "absent": True}]), "attendees[0]"),
    ("reassign-to-user-0", lambda cal: cal.bookings.reassign_to("u", 0), "user_id"),
    ("reassign-to-user-bool", lambda cal: cal.bookings.reassign_to("u", True), "user_id"),
    ("reassign-to-reason", lambda cal: cal.bookings.reassign_to("u", 7, reason=5), "reason"),
    ("update-location-str", lambda cal: cal.bookings.update_location("u", "https://x.io"), "location"),
    ("update-location-create-kind", lambda cal: cal.bookings.update_location("u", AddressLocation()), "location"),
    ("update-location-create-link", lambda cal: cal.bookings.update_location("u", LinkLocation()), "location"),
    ("add-guests-empty", lambda cal: cal.bookings.add_guests("u", []), "guests"),
    ("add-guests-eleven", lambda cal: cal.bookings.add_guests("u", [GUEST] * 11), "guests"),
    ("add-guests-string", lambda cal: cal.bookings.add_guests("u", "g@example.com"), "guests"),
    ("add-guests-dict", lambda cal: cal.bookings.add_guests("u", [{"email": "g@example.com"}]), "guests[0]"),
    ("add-guests-none-item", lambda cal: cal.bookings.add_guests("u", [GUEST, None]), "guests[1]"),
    ("reschedule-allow-conflicts", lambda cal: cal.bookings.reschedule("u", start=START, allow_conflicts="yes"), "allow_conflicts"),
    ("reschedule-out-of-bounds", lambda cal: cal.bookings.reschedule("u", start=START, allow_booking_out_of_bounds=1), "allow_booking_out_of_bounds"),
    ("reschedule-skip-limits", lambda cal: cal.bookings.reschedule("u", start=START, seat_uid="s", skip_booking_limits="no"), "skip_booking_limits"),
    ("attendee-id-0", lambda cal: cal.bookings.attendee("u", 0), "attendee_id"),
    ("attendee-id-str", lambda cal: cal.bookings.attendee("u", "5"), "attendee_id"),
    ("attendee-id-bool", lambda cal: cal.bookings.attendee("u", True), "attendee_id"),
    ("remove-attendee-id-negative", lambda cal: cal.bookings.remove_attendee("u", -3), "attendee_id"),
    ("remove-attendee-id-float", lambda cal: cal.bookings.remove_attendee("u", 5.0), "attendee_id"),
    ("add-attendee-dict", lambda cal: cal.bookings.add_attendee("u", {"email": "a@b.co"}), "attendee"),
    ("add-attendee-guest", lambda cal: cal.bookings.add_attendee("u", GUEST), "attendee"),
    ("request-reschedule-reason", lambda cal: cal.bookings.request_reschedule("u", reason=5), "reason"),
    ("request-reschedule-reason-nul", lambda cal: cal.bookings.request_reschedule("u", reason="a\x00"), "reason"),
    ("email-verification-required-email", lambda cal: cal.bookings.email_verification_required("nope"), "email"),
    ("email-verification-required-none", lambda cal: cal.bookings.email_verification_required(None), "email"),
    ("email-verification-required-session", lambda cal: cal.bookings.email_verification_required("a@b.co", user_session_email="x\r\n"), "user_session_email"),
    ("send-email-verification-code-email", lambda cal: cal.bookings.send_email_verification_code("nope"), "email"),
    ("send-email-verification-code-username", lambda cal: cal.bookings.send_email_verification_code("a@b.co", username=""), "username"),
    ("send-email-verification-code-language", lambda cal: cal.bookings.send_email_verification_code("a@b.co", language="xx"), "language"),
    ("send-email-verification-code-flag", lambda cal: cal.bookings.send_email_verification_code("a@b.co", is_verifying_email="yes"), "is_verifying_email"),
    ("verify-email-code-email", lambda cal: cal.bookings.verify_email_code("nope", "123456"), "email"),
    ("verify-email-code-empty", lambda cal: cal.bookings.verify_email_code("a@b.co", ""), "code"),
    ("verify-email-code-int", lambda cal: cal.bookings.verify_email_code("a@b.co", 123456), "code"),
    ("verify-email-code-newline", lambda cal: cal.bookings.verify_email_code("a@b.co", "12\n34"), "code"),
    # --- cal.organizations ---------------------------------------------------------------------
    ("org-bookings-org-0", lambda cal: cal.organizations.bookings(0), "org_id"),
    ("org-bookings-org-str", lambda cal: cal.organizations.bookings("1"), "org_id"),
    ("org-bookings-take", lambda cal: cal.organizations.bookings(1, take=251), "take"),
    ("org-bookings-user-ids", lambda cal: cal.organizations.bookings(1, user_ids=["x"]), "user_ids[0]"),
    ("org-bookings-naive", lambda cal: cal.organizations.bookings(1, after_start=NAIVE), "after_start"),
    ("team-bookings-team", lambda cal: cal.organizations.team_bookings(1, -2), "team_id"),
    ("team-bookings-org", lambda cal: cal.organizations.team_bookings(None, 2), "org_id"),
    ("team-bookings-sort", lambda cal: cal.organizations.team_bookings(1, 2, sort_created="x"), "sort_created"),
    ("team-bookings-skip", lambda cal: cal.organizations.team_bookings(1, 2, skip=-1), "skip"),
    ("user-bookings-user", lambda cal: cal.organizations.user_bookings(1, "2"), "user_id"),
    ("user-bookings-email", lambda cal: cal.organizations.user_bookings(1, 2, attendee_email="x\r\n"), "attendee_email"),
    ("team-references-org", lambda cal: cal.organizations.team_booking_references(0, 2, "u"), "org_id"),
    ("team-references-team", lambda cal: cal.organizations.team_booking_references(1, 0, "u"), "team_id"),
    ("team-references-type", lambda cal: cal.organizations.team_booking_references(1, 2, "u", type="x"), "type"),
    ("report-booking-org", lambda cal: cal.organizations.report_booking(0, "u", reason="SPAM", report_type="EMAIL"), "org_id"),
    ("report-booking-uid", lambda cal: cal.organizations.report_booking(1, "", reason="SPAM", report_type="EMAIL"), "booking_uid"),
    ("report-booking-uid-int", lambda cal: cal.organizations.report_booking(1, 7, reason="SPAM", report_type="EMAIL"), "booking_uid"),
    ("report-booking-reason", lambda cal: cal.organizations.report_booking(1, "u", reason="spam!", report_type="EMAIL"), "reason"),
    ("report-booking-type", lambda cal: cal.organizations.report_booking(1, "u", reason="SPAM", report_type="PHONE"), "report_type"),
    ("report-booking-description", lambda cal: cal.organizations.report_booking(1, "u", reason="OTHER", report_type="EMAIL", description=5), "description"),
    ("block-booking-org", lambda cal: cal.organizations.block_booking("1", "u", block_type="EMAIL"), "org_id"),
    ("block-booking-uid", lambda cal: cal.organizations.block_booking(1, None, block_type="EMAIL"), "booking_uid"),
    ("block-booking-type", lambda cal: cal.organizations.block_booking(1, "u", block_type="email"), "block_type"),
    # --- cal.bulk, cal.bulk_all, cal.with_options ----------------------------------------------
    ("bulk-concurrency-0", lambda cal: cal.bulk(["u"], cal.bookings.get, concurrency=0), "concurrency"),
    ("bulk-concurrency-str", lambda cal: cal.bulk(["u"], cal.bookings.get, concurrency="4"), "concurrency"),
    ("bulk-operation", lambda cal: cal.bulk(["u"], "get"), "operation"),
    ("bulk-items", lambda cal: cal.bulk(5, cal.bookings.get), "items"),
    ("bulk-progress", lambda cal: cal.bulk(["u"], cal.bookings.get, on_progress=5), "on_progress"),
    ("bulk-stop", lambda cal: cal.bulk(["u"], cal.bookings.get, stop_on_error="yes"), "stop_on_error"),
    ("bulk-all-concurrency", lambda cal: cal.bulk_all(["u"], cal.bookings.get, concurrency=-1), "concurrency"),
    ("with-options-retry", lambda cal: cal.with_options(retry={"attempts": 2}), "retry"),
    ("with-options-timeout", lambda cal: cal.with_options(timeout=-1), "timeout"),
    ("with-options-unsafe", lambda cal: cal.with_options(retry_unsafe="yes"), "retry_unsafe"),
    # --- CalBookings(...) ------------------------------------------------------------------------
    ("client-key-empty", lambda cal: CalBookings(api_key=""), "api_key"),
    ("client-key-prefix", lambda cal: CalBookings(api_key="sk_live_x"), "api_key"),
    ("client-key-int", lambda cal: CalBookings(api_key=5), "api_key"),
    ("client-key-newline", lambda cal: CalBookings(api_key="cal_x\n"), "api_key"),
    ("client-token-empty", lambda cal: CalBookings(access_token=" "), "access_token"),
    ("client-two-credentials", lambda cal: CalBookings(api_key=API_KEY, access_token="t"), "access_token"),
    ("client-id-alone", lambda cal: CalBookings(client_id="c"), "secret_key"),
    ("client-secret-alone", lambda cal: CalBookings(secret_key="s"), "client_id"),
    ("client-secret-nul", lambda cal: CalBookings(client_id="c", secret_key="s\x00"), "secret_key"),
    ("client-http", lambda cal: CalBookings(api_key=API_KEY, base_url="http://api.cal.com"), "base_url"),
    ("client-ftp", lambda cal: CalBookings(api_key=API_KEY, base_url="ftp://api.cal.com"), "base_url"),
    ("client-no-host", lambda cal: CalBookings(api_key=API_KEY, base_url="https://"), "base_url"),
    ("client-v2", lambda cal: CalBookings(api_key=API_KEY, base_url="https://api.cal.com/v2"), "base_url"),
    ("client-password", lambda cal: CalBookings(api_key=API_KEY, base_url="https://u:p@api.cal.com"), "base_url"),
    ("client-url-int", lambda cal: CalBookings(api_key=API_KEY, base_url=443), "base_url"),
    ("client-timeout-negative", lambda cal: CalBookings(api_key=API_KEY, timeout=-1), "timeout"),
    ("client-timeout-zero", lambda cal: CalBookings(api_key=API_KEY, timeout=0), "timeout"),
    ("client-timeout-str", lambda cal: CalBookings(api_key=API_KEY, timeout="30"), "timeout"),
    ("client-timeout-nan", lambda cal: CalBookings(api_key=API_KEY, timeout=float("nan")), "timeout"),
    ("client-retry", lambda cal: CalBookings(api_key=API_KEY, retry=3), "retry"),
    ("client-concurrency", lambda cal: CalBookings(api_key=API_KEY, max_concurrency=0), "max_concurrency"),
    ("client-max-bytes", lambda cal: CalBookings(api_key=API_KEY, max_response_bytes=10), "max_response_bytes"),
    ("client-refresh", lambda cal: CalBookings(access_token="t", refresh_token="new"), "refresh_token"),
    ("client-refresh-key", lambda cal: CalBookings(api_key=API_KEY, refresh_token=_async_hook), "refresh_token"),
    ("client-pacing", lambda cal: CalBookings(api_key=API_KEY, pacing="yes"), "pacing"),
    ("client-session", lambda cal: CalBookings(api_key=API_KEY, session=object()), "session"),
    ("client-clock", lambda cal: CalBookings(api_key=API_KEY, clock=5), "clock"),
    # --- RetryPolicy, Timeout, AdaptivePacer -----------------------------------------------------
    ("retry-attempts-0", lambda cal: RetryPolicy(attempts=0), "attempts"),
    ("retry-attempts-str", lambda cal: RetryPolicy(attempts="3"), "attempts"),
    ("retry-wait-initial", lambda cal: RetryPolicy(wait_initial=-1), "wait_initial"),
    ("retry-wait-max", lambda cal: RetryPolicy(wait_max=float("nan")), "wait_max"),
    ("retry-jitter", lambda cal: RetryPolicy(jitter=float("inf")), "jitter"),
    ("retry-deadline", lambda cal: RetryPolicy(deadline=0), "deadline"),
    ("retry-rate-limit-wait", lambda cal: RetryPolicy(rate_limit_wait_max=-1), "rate_limit_wait_max"),
    ("retry-unsafe", lambda cal: RetryPolicy(retry_unsafe=1), "retry_unsafe"),
    ("retry-hooks", lambda cal: RetryPolicy(on_retry="log"), "on_retry"),
    ("retry-async-hook", lambda cal: RetryPolicy(on_retry=_async_hook), "on_retry"),
    ("retry-hook-item", lambda cal: RetryPolicy(on_retry=[print, 5]), "on_retry[1]"),
    ("timeout-total", lambda cal: Timeout(total=-1), "timeout.total"),
    ("timeout-connect", lambda cal: Timeout(connect=0), "timeout.connect"),
    ("timeout-read", lambda cal: Timeout(read="5"), "timeout.read"),
    ("pacer-limit", lambda cal: AdaptivePacer(limit=0), "limit"),
    ("pacer-limit-str", lambda cal: AdaptivePacer(limit="120"), "limit"),
    ("pacer-window", lambda cal: AdaptivePacer(window=0), "window"),
    ("pacer-max-wait", lambda cal: AdaptivePacer(max_wait=-1), "max_wait"),
    ("pacer-clock", lambda cal: AdaptivePacer(clock=5), "clock"),
    ("pacer-binding-id", lambda cal: PacerBinding(credential_id="cal_live_secret", credential_kind="api_key"), "credential_id"),
    ("pacer-binding-kind", lambda cal: PacerBinding(credential_id="ab" * 32, credential_kind="password"), "credential_kind"),
    ("pacer-binding-timeout", lambda cal: PacerBinding(credential_id="ab" * 32, credential_kind="api_key", attempt_timeout=-1), "attempt_timeout"),
    ("pacer-bind", lambda cal: AdaptivePacer().bind("cal_x"), "binding"),
    # --- every input class -----------------------------------------------------------------------
    ("attendee-name", lambda cal: CreateBookingAttendee(name="", time_zone="UTC", email="a@b.co"), "CreateBookingAttendee.name"),
    ("attendee-time-zone", lambda cal: CreateBookingAttendee(name="A", time_zone=None, email="a@b.co"), "CreateBookingAttendee.time_zone"),
    ("attendee-email", lambda cal: CreateBookingAttendee(name="A", time_zone="UTC", email="nope"), "CreateBookingAttendee.email"),
    ("attendee-no-contact", lambda cal: CreateBookingAttendee(name="A", time_zone="UTC"), "CreateBookingAttendee.email"),
    ("attendee-phone", lambda cal: CreateBookingAttendee(name="A", time_zone="UTC", phone_number="1\n2"), "CreateBookingAttendee.phone_number"),
    ("attendee-language", lambda cal: CreateBookingAttendee(name="A", time_zone="UTC", email="a@b.co", language="klingon"), "CreateBookingAttendee.language"),
    ("create-naive", lambda cal: create(start=NAIVE), "CreateBookingInput.start"),
    ("create-str-start", lambda cal: create(start="2030-01-01T00:00:00Z"), "CreateBookingInput.start"),
    ("create-attendee-dict", lambda cal: create(attendee={"name": "A"}), "CreateBookingInput.attendee"),
    ("create-event-type-0", lambda cal: create(event_type_id=0), "CreateBookingInput.event_type_id"),
    ("create-no-event-type", lambda cal: create(event_type_id=None), "CreateBookingInput.event_type_id"),
    ("create-guests", lambda cal: create(guests=["nope"]), "CreateBookingInput.guests[0]"),
    ("create-metadata", lambda cal: create(metadata={1: "x"}), "CreateBookingInput.metadata"),
    ("create-length", lambda cal: create(length_in_minutes=0), "CreateBookingInput.length_in_minutes"),
    ("create-location", lambda cal: create(location="zoom"), "CreateBookingInput.location"),
    ("create-routing", lambda cal: create(routing={"responseId": 1}), "CreateBookingInput.routing"),
    ("create-fields", lambda cal: create(booking_fields_responses="x"), "CreateBookingInput.booking_fields_responses"),
    ("create-username", lambda cal: create(event_type_id=None, event_type_slug="intro", username=""), "CreateBookingInput.username"),
    ("create-allow-conflicts", lambda cal: create(allow_conflicts="yes"), "CreateBookingInput.allow_conflicts"),
    ("create-out-of-bounds", lambda cal: create(allow_booking_out_of_bounds=0), "CreateBookingInput.allow_booking_out_of_bounds"),
    ("create-skip-limits", lambda cal: create(skip_booking_limits="true"), "CreateBookingInput.skip_booking_limits"),
    ("instant-allow-conflicts", lambda cal: create(CreateInstantBookingInput, allow_conflicts=1), "CreateInstantBookingInput.allow_conflicts"),
    ("recurring-skip-limits", lambda cal: create(CreateRecurringBookingInput, skip_booking_limits="no"), "CreateRecurringBookingInput.skip_booking_limits"),
    ("instant-naive", lambda cal: create(CreateInstantBookingInput, start=NAIVE), "CreateInstantBookingInput.start"),
    ("recurring-count", lambda cal: create(CreateRecurringBookingInput, recurrence_count=0), "CreateRecurringBookingInput.recurrence_count"),
    ("recurring-naive", lambda cal: create(CreateRecurringBookingInput, start=NAIVE), "CreateRecurringBookingInput.start"),
    ("routing-response", lambda cal: CreateBookingRouting(response_id="1", team_member_ids=[1]), "CreateBookingRouting.response_id"),
    ("routing-members", lambda cal: CreateBookingRouting(response_id=1, team_member_ids=["1"]), "CreateBookingRouting.team_member_ids[0]"),
    ("routing-email", lambda cal: CreateBookingRouting(response_id=1, team_member_ids=[1], team_member_email="x"), "CreateBookingRouting.team_member_email"),
    ("guest-email", lambda cal: Guest(email="nope"), "Guest.email"),
    ("guest-name", lambda cal: Guest(email="g@example.com", name=""), "Guest.name"),
    ("guest-language", lambda cal: Guest(email="g@example.com", language="xx"), "Guest.language"),
    ("absent-email", lambda cal: MarkAbsentAttendee(email="nope", absent=True), "MarkAbsentAttendee.email"),
    ("absent-flag", lambda cal: MarkAbsentAttendee(email="a@b.co", absent="yes"), "MarkAbsentAttendee.absent"),
    ("integration", lambda cal: IntegrationLocation(integration="zoomz"), "IntegrationLocation.integration"),
    ("attendee-address", lambda cal: AttendeeAddressLocation(address=""), "AttendeeAddressLocation.address"),
    ("attendee-defined", lambda cal: AttendeeDefinedLocation(location=5), "AttendeeDefinedLocation.location"),
    ("attendee-phone-location", lambda cal: AttendeePhoneLocation(phone="\n"), "AttendeePhoneLocation.phone"),
    ("update-address", lambda cal: UpdateAddressLocation(address=""), "UpdateAddressLocation.address"),
    ("update-link", lambda cal: UpdateLinkLocation(link=None), "UpdateLinkLocation.link"),
    ("update-phone", lambda cal: UpdatePhoneLocation(phone=5), "UpdatePhoneLocation.phone"),
    ("new-attendee-email", lambda cal: AddAttendeeInput(email="nope", name="A", time_zone="UTC"), "AddAttendeeInput.email"),
    ("new-attendee-no-email", lambda cal: AddAttendeeInput(email=None, name="A", time_zone="UTC"), "AddAttendeeInput.email"),
    ("new-attendee-name", lambda cal: AddAttendeeInput(email="a@b.co", name=" ", time_zone="UTC"), "AddAttendeeInput.name"),
    ("new-attendee-time-zone", lambda cal: AddAttendeeInput(email="a@b.co", name="A", time_zone=""), "AddAttendeeInput.time_zone"),
    ("new-attendee-phone", lambda cal: AddAttendeeInput(email="a@b.co", name="A", time_zone="UTC", phone_number="1\n"), "AddAttendeeInput.phone_number"),
    ("new-attendee-language", lambda cal: AddAttendeeInput(email="a@b.co", name="A", time_zone="UTC", language="klingon"), "AddAttendeeInput.language"),
]  # fmt: skip


def test_every_public_method_and_input_class_has_a_row() -> None:
    labels = " ".join(label for label, _call, _argument in ROWS)
    methods = [
        name
        for cls in (Bookings, Organizations)
        for name, _ in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    ]
    for method in methods:
        assert method.replace("_", "-") in labels or method in UID_METHODS, method
    import calbookings_async._inputs as inputs

    for name in inputs.__all__:
        cls = getattr(inputs, name)
        fields = [a.name for a in getattr(cls, "__attrs_attrs__", ()) if a.init]
        if inspect.isclass(cls) and fields:  # classes without arguments cannot be given bad ones
            assert any(cls.__name__ + "." in argument for _l, _c, argument in ROWS), name


async def _invoke(call: Call, cal: CalBookings) -> None:
    """Make the call and, if it returns something to await or iterate, start it too."""
    result = call(cal)
    if inspect.isawaitable(result):
        await result
    elif hasattr(result, "__aiter__"):  # a pager or a bulk run: iterating sends
        async for _item in result:
            pass


@pytest.mark.parametrize(("label", "call", "argument"), ROWS, ids=[row[0] for row in ROWS])
async def test_bad_argument_is_refused_naming_it_and_nothing_is_sent(
    loopback_server: ScriptedServer, label: str, call: Call, argument: str
) -> None:
    async with CalBookings(api_key=API_KEY, base_url=loopback_server.url) as cal:
        with pytest.raises(InvalidArgumentError) as caught:
            await _invoke(call, cal)
    assert caught.value.argument == argument, str(caught.value)
    assert str(caught.value).startswith(f"{argument}: ")
    assert loopback_server.count == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda cal: cal.bookings.list(colour="blue"),
            "list() got an unexpected keyword argument 'colour' "
            "(its filters are those of BookingFilters)",
        ),
        (
            lambda cal: cal.organizations.team_bookings(1, 2, team_ids=[3]),
            "team_bookings() got an unexpected keyword argument 'team_ids' "
            "(its filters are those of TeamBookingFilters)",
        ),
        (
            lambda cal: cal.organizations.user_bookings(1, 2, user_ids=[3]),
            "user_bookings() got an unexpected keyword argument 'user_ids' "
            "(its filters are those of BookingFilters)",
        ),
    ],
    ids=["list", "team-bookings", "user-bookings"],
)
async def test_a_filter_a_listing_does_not_take_is_a_type_error(
    loopback_server: ScriptedServer, call: Call, message: str
) -> None:
    # As Python says it of any function; the listings take their filters as **kwargs, so the
    # SDK says it itself (a type checker says it too: the keywords are a TypedDict).
    async with CalBookings(api_key=API_KEY, base_url=loopback_server.url) as cal:
        with pytest.raises(TypeError) as caught:
            call(cal)
    assert str(caught.value) == message
    assert loopback_server.count == 0

"""Handlers of the core bookings routes: create, list, get (also by seat), reschedule, cancel.

Each handler validates its input (``_validation``), applies the rule (``_rules``), records the
write in the ledger and answers the live server's envelope and status (API-NOTES §2, §2.2, §12,
§13). The listing helper here also serves the organization listings. Imports only the emulator's
own modules; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

from typing import Any

from ._context import Backend, Ctx, Reply, success
from ._envelope import bad_request, unauthorized
from ._records import Booking, EventType
from ._rules import CreateRequest
from ._store import ListQuery, not_found_uid
from ._validation import clean_cancel, clean_create, clean_reschedule, parse_list_query
from ._wire import parse_iso8601

__all__ = [
    "LIST_PARAMS",
    "TEAM_LIST_PARAMS",
    "cancel",
    "create",
    "get",
    "get_by_seat",
    "list_bookings",
    "list_query",
    "pagination",
    "reschedule",
]

LIST_PARAMS = frozenset(
    [
        "status",
        "attendeeEmail",
        "attendeeName",
        "bookingUid",
        "eventTypeIds",
        "eventTypeId",
        "teamsIds",
        "teamId",
        "afterStart",
        "beforeEnd",
        "afterCreatedAt",
        "beforeCreatedAt",
        "afterUpdatedAt",
        "beforeUpdatedAt",
        "sortStart",
        "sortEnd",
        "sortCreated",
        "sortUpdatedAt",
        "take",
        "skip",
    ]
)
TEAM_LIST_PARAMS = frozenset(
    [
        "status",
        "attendeeEmail",
        "attendeeName",
        "bookingUid",
        "eventTypeIds",
        "eventTypeId",
        "afterStart",
        "beforeEnd",
        "sortStart",
        "sortEnd",
        "sortCreated",
        "take",
        "skip",
    ]
)
_SORTS = (
    ("sortStart", "start"),
    ("sortEnd", "end"),
    ("sortCreated", "created"),
    ("sortUpdatedAt", "updated"),
)


def pagination(total: int, take: int, skip: int) -> dict[str, Any]:
    """``PaginationMetaDto`` computed exactly as ``lib/pagination/pagination.ts`` (§9).

    Args:
        total: Items matching the query.
        take: Requested page size (1..250).
        skip: Requested offset (>= 0).
    """
    skip = min(max(skip, 0), total)
    total_pages = -(-total // take)
    current = min(max(skip // take + 1, 1), total_pages) if total_pages else 0
    return {
        "totalItems": total,
        "remainingItems": min(max(total - (skip + take), 0), total),
        "returnedItems": min(max(total - skip, 0), take),
        "itemsPerPage": take,
        "currentPage": current,
        "totalPages": total_pages,
        "hasNextPage": skip + take < total,
        "hasPreviousPage": skip > 0,
    }


# -- create ---------------------------------------------------------------------------------------


def create(api: Backend, ctx: Ctx) -> Reply:
    """``POST /v2/bookings``: 201 with one booking, a recurring array, or a seat."""
    body = clean_create(ctx.body)
    event_type = api.event_type(body)
    if event_type.requires_auth and not ctx.caller.authenticated:
        raise unauthorized(
            "This event type requires authentication. Please provide valid credentials."
        )
    _check_length(event_type, body.get("lengthInMinutes"))
    instant = bool(body.get("instant"))
    if instant and event_type.team_id is None:
        raise bad_request("Instant bookings are only supported for team event types.")
    if event_type.requires_email_verification:
        api.verifier.require(body["attendee"].get("email"), body.get("emailVerificationCode"))
    parsed = parse_iso8601(body["start"])
    assert parsed is not None
    request = CreateRequest(
        event_type=event_type,
        start=parsed[0],
        attendee=body["attendee"],
        length=body.get("lengthInMinutes"),
        guests=body.get("guests"),
        fields=body.get("bookingFieldsResponses"),
        metadata=body.get("metadata") or {},
        location=api.rules.resolve_location(
            event_type, body.get("location"), body.get("meetingUrl")
        ),
        recurrence_count=body.get("recurrenceCount"),
        instant=instant,
        routing=body.get("routing"),
    )
    bookings, seat_uids = api.rules.create(request)
    api.record(ctx, "create", bookings)
    outputs = [api.out(ctx, b) for b in bookings]
    if seat_uids is not None:
        outputs = [{**o, "seatUid": s} for o, s in zip(outputs, seat_uids, strict=True)]
    recurring = event_type.recurrence is not None and not instant
    return success(outputs if recurring else outputs[0], status=201)


def _check_length(event_type: EventType, length: int | None) -> None:
    if length is None:
        return
    if not event_type.lengths:
        raise bad_request(
            "Can't specify 'lengthInMinutes' because event type does not have multiple "
            "possible lengths. Please, remove the 'lengthInMinutes' field from the request."
        )
    if length not in event_type.lengths:
        options = ", ".join(str(n) for n in event_type.lengths)
        raise bad_request(
            f"Provided 'lengthInMinutes' is not one of the possible lengths for the event "
            f"type. The possible lengths are: {options}"
        )


# -- listings and reads --------------------------------------------------------------------------


def list_query(api: Backend, ctx: Ctx, allowed: frozenset[str], **scope: Any) -> Reply:
    """One page of a bookings listing (``GET /v2/bookings`` and the organization listings)."""
    filters, take, skip = parse_list_query(ctx.request.query, allowed=allowed)
    sort = next(((field, filters[p]) for p, field in _SORTS if p in filters), None)
    event_type_ids = filters.get("eventTypeIds")
    if event_type_ids is None and "eventTypeId" in filters:
        event_type_ids = (filters["eventTypeId"],)
    team_ids = filters.get("teamsIds")
    if team_ids is None and "teamId" in filters:
        team_ids = (filters["teamId"],)
    caller = ctx.caller
    query = ListQuery(
        statuses=filters.get("status", ()),
        attendee_email=filters.get("attendeeEmail"),
        attendee_name=filters.get("attendeeName"),
        booking_uid=filters.get("bookingUid"),
        event_type_ids=event_type_ids,
        team_ids=team_ids,
        after_start=filters.get("afterStart"),
        before_end=filters.get("beforeEnd"),
        after_created=filters.get("afterCreatedAt"),
        before_created=filters.get("beforeCreatedAt"),
        after_updated=filters.get("afterUpdatedAt"),
        before_updated=filters.get("beforeUpdatedAt"),
        sort=sort,
        scope_user=None if caller.superuser or scope else caller.user_id,
        user_ids=filters.get("userIds"),
        **scope,
    )
    items = api.store.query(query)
    data = [api.out(ctx, b) for b in items[skip : skip + take]]
    return success(data, pagination=pagination(len(items), take, skip))


def list_bookings(api: Backend, ctx: Ctx) -> Reply:
    """``GET /v2/bookings``."""
    return list_query(api, ctx, LIST_PARAMS)


def get(api: Backend, ctx: Ctx) -> Reply:
    """``GET /v2/bookings/{uid}``: one booking, or every recurrence for a recurring uid."""
    uid = ctx.path("bookingUid")
    booking = api.store.bookings.get(uid)
    if booking is None:
        if uid in api.store.series:
            return success([api.out(ctx, b) for b in api.store.recurrences(uid)])
        raise not_found_uid(uid)
    return success(api.out(ctx, booking))


def get_by_seat(api: Backend, ctx: Ctx) -> Reply:
    """``GET /v2/bookings/by-seat/{seatUid}``: the booking that holds a seat."""
    return success(api.out(ctx, api.store.by_seat(ctx.path("seatUid"))))


# -- reschedule and cancel ------------------------------------------------------------------------


def reschedule(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../reschedule``: 201 with the new booking (one seat moves alone with seatUid)."""
    body = clean_reschedule(ctx.body)
    booking = api.booking(ctx)
    seat_uid = body.get("seatUid")
    if booking.seated and seat_uid is None and not api.privileged(ctx.caller, booking):
        raise unauthorized(
            "Rescheduling every seat of a seated booking requires the host's credentials; "
            "pass seatUid to reschedule one seat."
        )
    parsed = parse_iso8601(body["start"])
    assert parsed is not None
    by = body.get("rescheduledBy") or ctx.caller.email
    new, seat = api.rules.reschedule(
        booking, parsed[0], reason=body.get("reschedulingReason"), by=by, seat_uid=seat_uid
    )
    api.record(ctx, "reschedule", [booking, new] if new is not booking else [booking])
    data = api.out(ctx, new)
    if seat is not None:
        data = {**data, "seatUid": seat}
    return success(data, status=201)


def cancel(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../cancel``: a booking, one seat, the later recurrences, or a whole series."""
    body = clean_cancel(ctx.body)
    uid = ctx.path("bookingUid")
    reason = body.get("cancellationReason")
    booking = api.store.bookings.get(uid)
    if booking is None and uid in api.store.series:
        return _cancel_series(api, ctx, uid, reason)
    if booking is None:
        raise not_found_uid(uid)
    seat_uid = body.get("seatUid")
    if booking.seated and seat_uid is None and not api.privileged(ctx.caller, booking):
        raise unauthorized(
            "Cancelling every seat of a seated booking requires the host's credentials; "
            "pass seatUid to cancel one seat."
        )
    subsequent = bool(body.get("cancelSubsequentBookings"))
    changed = api.rules.cancel(
        booking,
        reason=reason,
        by=api.actor(ctx, booking),
        seat_uid=seat_uid,
        subsequent=subsequent,
    )
    api.record(ctx, "cancel", changed)
    if subsequent and booking.recurring_event_id is not None:
        return _series_reply(api, ctx, booking.recurring_event_id)
    return success(api.out(ctx, booking))


def _cancel_series(api: Backend, ctx: Ctx, uid: str, reason: str | None) -> Reply:
    series = api.store.recurrences(uid)
    if any(b.seated for b in series):
        raise bad_request(
            "Cancelling every recurrence of a recurring seated booking at once is not "
            "possible: cancel each recurrence with its bookingUid and seatUid."
        )
    changed = api.rules.cancel_series(uid, reason=reason, by=api.actor(ctx, series[0]))
    if not changed:
        raise bad_request(
            f"Can't cancel recurring booking with uid={uid} because all of its "
            "recurrences have been cancelled already."
        )
    api.record(ctx, "cancel", changed)
    return _series_reply(api, ctx, uid)


def _series_reply(api: Backend, ctx: Ctx, recurring_uid: str) -> Reply:
    series: list[Booking] = api.store.recurrences(recurring_uid)
    return success([api.out(ctx, b) for b in series])

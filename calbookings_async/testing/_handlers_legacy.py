"""Handlers of the legacy 2024-04-15 bookings controller (API-NOTES §1).

Without ``cal-api-version: 2024-08-13`` Nest routes ``/v2/bookings*`` here: list, get, create and
cancel, in a simplified legacy shape (``startTime``/``endTime``, upper-case ``status``,
``responses``, ``user``). Every other bookings route of the new controller is a 404 there.
Imports only the emulator's own modules; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

from ._context import Backend, Ctx, Reply, success
from ._envelope import bad_request, not_found
from ._rules import CreateRequest
from ._store import ListQuery
from ._validation import clean_legacy_create
from ._wire import parse_iso8601

__all__ = ["legacy_cancel", "legacy_create", "legacy_get", "legacy_list"]


def legacy_list(api: Backend, ctx: Ctx) -> Reply:
    """``GET /v2/bookings`` (legacy): cursor paging, ``{bookings, recurringInfo, nextCursor}``."""
    query = ctx.request.query
    take_raw = query.get("take", "100")
    cursor_raw = query.get("cursor", "0")
    take = int(take_raw) if take_raw.isdigit() else 100
    cursor = int(cursor_raw) if cursor_raw.isdigit() else 0
    caller = ctx.caller
    items = api.store.query(ListQuery(scope_user=None if caller.superuser else caller.user_id))
    page = items[cursor : cursor + take]
    next_cursor = cursor + take if cursor + take < len(items) else None
    data = {
        "bookings": [api.serialiser.legacy_output(b) for b in page],
        "recurringInfo": [],
        "nextCursor": next_cursor,
    }
    return success(data)


def legacy_get(api: Backend, ctx: Ctx) -> Reply:
    """``GET /v2/bookings/{uid}`` (legacy)."""
    return success(api.serialiser.legacy_output(api.booking(ctx)))


def legacy_create(api: Backend, ctx: Ctx) -> Reply:
    """``POST /v2/bookings`` (legacy): ``responses``, ``timeZone``, ``language``, ``metadata``."""
    body = clean_legacy_create(ctx.body)
    event_type = api.store.event_types.get(int(body["eventTypeId"]))
    if event_type is None:
        raise not_found(f"Event type with id {body['eventTypeId']} not found.")
    parsed = parse_iso8601(body["start"])
    if parsed is None:
        raise bad_request("Invalid start date")
    responses = body["responses"]
    attendee = {
        "name": responses["name"],
        "email": responses.get("email") or "",
        "timeZone": body["timeZone"],
        "language": body["language"],
    }
    request = CreateRequest(
        event_type=event_type,
        start=parsed[0],
        attendee=attendee,
        guests=responses.get("guests"),
        metadata=body["metadata"],
        location=event_type.location,
    )
    bookings, _ = api.rules.create(request)
    api.record(ctx, "legacy_create", bookings)
    return success(api.serialiser.legacy_output(bookings[0]), status=201)


def legacy_cancel(api: Backend, ctx: Ctx) -> Reply:
    """``POST /v2/bookings/{uid}/cancel`` (legacy): ``allRemainingBookings``."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    booking = api.booking(ctx)
    reason = body.get("cancellationReason")
    changed = api.rules.cancel(
        booking,
        reason=reason if isinstance(reason, str) else None,
        by=api.actor(ctx, booking),
        subsequent=bool(body.get("allRemainingBookings")),
    )
    api.record(ctx, "legacy_cancel", changed)
    data = {
        "bookingId": booking.id,
        "bookingUid": booking.uid,
        "onlyRemovedAttendee": False,
        "isPlatformManagedUserBooking": False,
    }
    return success(data)

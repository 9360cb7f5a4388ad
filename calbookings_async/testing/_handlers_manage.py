"""Handlers of the routes that manage one booking, and of its auxiliary reads.

The organizer's (or an admin's) operations: mark absent, reassign (automatic or to a user),
confirm, decline, update location (with the ``integration`` location), add guests, request
reschedule (cancels; the answer has no data), and the reads calendar links, references,
conferencing sessions, recordings, transcripts and routing trace (API-NOTES §2, §13). Imports only
the emulator's own modules; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

from typing import Any

from ._context import Backend, Ctx, Reply, success
from ._records import Booking, User
from ._validation import (
    clean_add_guests,
    clean_decline,
    clean_mark_absent,
    clean_reassign,
    clean_request_reschedule,
    clean_update_location,
    parse_reference_type,
)

__all__ = [
    "add_guests",
    "calendar_links",
    "confirm",
    "decline",
    "mark_absent",
    "reassign",
    "reassign_to_user",
    "recordings",
    "references",
    "request_reschedule",
    "routing_trace",
    "sessions",
    "transcripts",
    "update_location",
]

#: The stored location string of each update-location variant comes from this field.
_LOCATION_VALUE = {
    "address": "address",
    "attendeeAddress": "address",
    "attendeeDefined": "location",
    "attendeePhone": "phone",
    "link": "link",
    "phone": "phone",
}


def mark_absent(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../mark-absent``: host and attendee absence flags."""
    body = clean_mark_absent(ctx.body)
    booking = api.managed(ctx)
    api.rules.mark_absent(booking, body.get("host"), body.get("attendees") or [])
    api.record(ctx, "mark_absent", [booking])
    return success(api.out(ctx, booking))


def _reassigned(api: Backend, ctx: Ctx, booking: Booking, user: User, operation: str) -> Reply:
    api.record(ctx, operation, [booking])
    reassigned_to = {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "displayEmail": user.email,
    }
    return success({"bookingUid": booking.uid, "reassignedTo": reassigned_to})


def reassign(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../reassign``: the next free round-robin host."""
    booking = api.managed(ctx)
    user = api.rules.reassign(booking, None, None)
    return _reassigned(api, ctx, booking, user, "reassign")


def reassign_to_user(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../reassign/{userId}``: a chosen round-robin host."""
    user_id = ctx.path_int("userId")
    body = clean_reassign(ctx.body)
    booking = api.managed(ctx)
    user = api.rules.reassign(booking, user_id, body.get("reason"))
    return _reassigned(api, ctx, booking, user, "reassign_to_user")


def confirm(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../confirm``: accept a pending booking."""
    booking = api.managed(ctx)
    api.record(ctx, "confirm", api.rules.confirm(booking))
    return success(api.out(ctx, booking))


def decline(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../decline``: reject a pending booking."""
    body = clean_decline(ctx.body)
    booking = api.managed(ctx)
    api.record(ctx, "decline", api.rules.decline(booking, body.get("reason")))
    return success(api.out(ctx, booking))


def update_location(api: Backend, ctx: Ctx) -> Reply:
    """``PATCH .../location``: one of the seven update-location variants."""
    body = clean_update_location(ctx.body)
    booking = api.managed(ctx)
    location = body["location"]
    if location["type"] == "integration":
        value = api.rules.integration_location(location["integration"])
    else:
        value = str(location[_LOCATION_VALUE[location["type"]]])
    api.rules.update_location(booking, value)
    api.record(ctx, "update_location", [booking])
    return success(api.out(ctx, booking))


def add_guests(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../guests``: 1 to 10 guests per request, 30 per booking."""
    body = clean_add_guests(ctx.body)
    booking = api.managed(ctx)
    api.rules.add_guests(booking, body["guests"])
    api.record(ctx, "add_guests", [booking])
    return success(api.out(ctx, booking))


def request_reschedule(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../request-reschedule``: cancel with ``rescheduled``; the answer has no data."""
    body = clean_request_reschedule(ctx.body)
    booking = api.managed(ctx)
    api.rules.request_reschedule(booking, body.get("rescheduleReason"), api.actor(ctx, booking))
    api.record(ctx, "request_reschedule", [booking])
    return success()


# -- auxiliary reads -------------------------------------------------------------------------------


def calendar_links(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../calendar-links``."""
    return success(api.serialiser.calendar_links(api.managed(ctx)))


def references(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../references`` (optionally one ``type``)."""
    kind = parse_reference_type(ctx.request.query)
    return success(filter_references(api, api.managed(ctx), kind))


def filter_references(api: Backend, booking: Booking, kind: str | None) -> list[dict[str, Any]]:
    """A booking's references, only those of ``kind`` when given."""
    refs = api.serialiser.references(booking)
    return refs if kind is None else [r for r in refs if r["type"] == kind]


def sessions(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../conferencing-sessions``."""
    return success(api.serialiser.sessions(api.managed(ctx)))


def recordings(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../recordings`` (the organizer's or an admin's; API-NOTES §13)."""
    return success(api.serialiser.recordings(api.managed(ctx)))


def transcripts(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../transcripts`` (the organizer's or an admin's; API-NOTES §13)."""
    return success(api.serialiser.transcripts(api.managed(ctx)))


def routing_trace(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../routing-trace``: empty steps and groups unless routed by a form."""
    return success(api.serialiser.routing_trace(api.managed(ctx)))

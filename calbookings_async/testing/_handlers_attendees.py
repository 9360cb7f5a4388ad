"""Handlers of the Bookings / Attendees routes: list, get, add and remove (API-NOTES §13).

Attendees have integer ids. Reading them needs the organizer, an admin or an attendee of the
booking; adding one needs the same (the live rule: organizer, attendee, or a team member allowed
to update) and is refused on a seated booking; removing one never removes the primary attendee.
Imports only the emulator's own modules; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

from ._context import Backend, Ctx, Reply, success
from ._validation import clean_add_attendee

__all__ = ["add_attendee", "get_attendee", "list_attendees", "remove_attendee"]


def list_attendees(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../attendees``: every attendee, each with its ``id``."""
    booking = api.participant(ctx)
    return success([api.serialiser.attendee_with_id(a) for a in booking.attendees])


def get_attendee(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../attendees/{attendeeId}``."""
    attendee_id = ctx.path_int("attendeeId")
    booking = api.participant(ctx)
    return success(api.serialiser.attendee_with_id(api.store.attendee(booking, attendee_id)))


def add_attendee(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../attendees``: 201 with the new attendee and its booking's id."""
    body = clean_add_attendee(ctx.body)
    booking = api.participant(ctx)
    attendee = api.rules.add_attendee(booking, body)
    api.record(ctx, "add_attendee", [booking])
    return success(api.serialiser.added_attendee(attendee, booking), status=201)


def remove_attendee(api: Backend, ctx: Ctx) -> Reply:
    """``DELETE .../attendees/{attendeeId}``: 200 with the removed attendee."""
    attendee_id = ctx.path_int("attendeeId")
    booking = api.participant(ctx)
    attendee = api.rules.remove_attendee(booking, attendee_id)
    api.record(ctx, "remove_attendee", [booking])
    return success(api.serialiser.removed_attendee(attendee, booking))

"""The table of every operation the emulator serves: path, method, auth, version, handler, limit.

One :class:`~calbookings_async.testing._context.Route` per operation of the bookings API (33, as
in ``tests/data/spec/bookings-openapi.json``), in the live server's terms: whether credentials are
optional or required, whether ``cal-api-version: 2024-08-13`` selects the route (else the legacy
controller answers or 404), which legacy handler shares the path, and which named per-route limit
replaces the default one (API-NOTES §8, §13). Imports only the emulator's own modules; nothing from
the rest of ``calbookings_async``.
"""

from __future__ import annotations

from . import _handlers_attendees as attendees
from . import _handlers_bookings as bookings
from . import _handlers_legacy as legacy
from . import _handlers_manage as manage
from . import _handlers_orgs as orgs
from . import _handlers_verification as verification
from ._context import Route
from ._ratelimit import NAMED_LIMITS, RateLimit

__all__ = ["ROUTES", "ROUTE_TABLE", "ROUTE_THROTTLES", "named_route_limits"]

_B = "/v2/bookings/{bookingUid}"
_ORG = "/v2/organizations/{orgId}"
_VERIFY = "/v2/bookings/verification/email"

#: Every operation, literal paths before templated ones that could shadow them.
ROUTE_TABLE: tuple[Route, ...] = (
    Route("POST", "/v2/bookings", "create", bookings.create, "optional", True,
          legacy.legacy_create, "optional", has_body=True),
    Route("GET", "/v2/bookings", "list", bookings.list_bookings, "required", True,
          legacy.legacy_list, "required"),
    Route("GET", "/v2/bookings/by-seat/{seatUid}", "get_by_seat", bookings.get_by_seat,
          "optional", True),
    Route("GET", f"{_VERIFY}/check", "check_email_verification", verification.check_email,
          "none", False),
    Route("POST", f"{_VERIFY}/send-code", "send_email_verification_code",
          verification.send_code, "none", False, has_body=True),
    Route("POST", f"{_VERIFY}/verify-code", "verify_email_code", verification.verify_code,
          "none", False, has_body=True),
    Route("GET", _B, "get", bookings.get, "optional", True, legacy.legacy_get, "optional"),
    Route("GET", f"{_B}/recordings", "recordings", manage.recordings, "required", True),
    Route("GET", f"{_B}/transcripts", "transcripts", manage.transcripts, "required", True),
    Route("POST", f"{_B}/reschedule", "reschedule", bookings.reschedule, "optional", True,
          has_body=True),
    Route("POST", f"{_B}/cancel", "cancel", bookings.cancel, "optional", True,
          legacy.legacy_cancel, "optional", has_body=True),
    Route("POST", f"{_B}/mark-absent", "mark_absent", manage.mark_absent, "required", True,
          has_body=True),
    Route("POST", f"{_B}/reassign", "reassign", manage.reassign, "required", True),
    Route("POST", f"{_B}/reassign/{{userId}}", "reassign_to_user", manage.reassign_to_user,
          "required", True, has_body=True),
    Route("POST", f"{_B}/confirm", "confirm", manage.confirm, "required", True),
    Route("POST", f"{_B}/decline", "decline", manage.decline, "required", True, has_body=True),
    Route("GET", f"{_B}/calendar-links", "calendar_links", manage.calendar_links, "required",
          True),
    Route("GET", f"{_B}/references", "references", manage.references, "required", True),
    Route("GET", f"{_B}/conferencing-sessions", "conferencing_sessions", manage.sessions,
          "required", True),
    Route("PATCH", f"{_B}/location", "update_location", manage.update_location, "required",
          True, has_body=True, throttle="booking_location_update"),
    Route("POST", f"{_B}/guests", "add_guests", manage.add_guests, "required", True,
          has_body=True, throttle="booking_guests_add"),
    Route("GET", f"{_B}/attendees", "attendees", attendees.list_attendees, "required", True),
    Route("POST", f"{_B}/attendees", "add_attendee", attendees.add_attendee, "required", True,
          has_body=True, throttle="booking_attendees_add"),
    Route("GET", f"{_B}/attendees/{{attendeeId}}", "attendee", attendees.get_attendee,
          "required", True),
    Route("DELETE", f"{_B}/attendees/{{attendeeId}}", "remove_attendee",
          attendees.remove_attendee, "required", True, throttle="booking_attendees_remove"),
    Route("POST", f"{_B}/request-reschedule", "request_reschedule", manage.request_reschedule,
          "required", True, has_body=True),
    Route("GET", f"{_B}/routing-trace", "routing_trace", manage.routing_trace, "required", True),
    Route("GET", f"{_ORG}/bookings", "org_bookings", orgs.org_bookings, "required", False),
    Route("POST", f"{_ORG}/bookings/report", "report_booking", orgs.report_booking, "required",
          False, has_body=True),
    Route("POST", f"{_ORG}/bookings/block", "block_booking", orgs.block_booking, "required",
          False, has_body=True),
    Route("GET", f"{_ORG}/teams/{{teamId}}/bookings", "org_team_bookings",
          orgs.org_team_bookings, "required", False),
    Route("GET", f"{_ORG}/teams/{{teamId}}/bookings/{{bookingUid}}/references",
          "org_team_booking_references", orgs.org_team_references, "required", False),
    Route("GET", f"{_ORG}/users/{{userId}}/bookings", "org_user_bookings",
          orgs.org_user_bookings, "required", False),
)  # fmt: skip

#: Every operation the emulator serves, as ``METHOD /path/template`` (the fault/limit route keys).
ROUTES: tuple[str, ...] = tuple(route.key for route in ROUTE_TABLE)

#: Route key -> the name of the per-route limit that replaces the default one there.
ROUTE_THROTTLES: dict[str, str] = {
    route.key: route.throttle for route in ROUTE_TABLE if route.throttle is not None
}


def named_route_limits(
    limit: int = 5, ttl: float = 60.0, block: float = 60.0
) -> dict[str, RateLimit]:
    """The named per-route limits, by route key, optionally scaled (for tests and demos).

    With the defaults this is what the live server enforces: ``booking_guests_add``,
    ``booking_location_update``, ``booking_attendees_add`` and ``booking_attendees_remove``,
    each 5 requests per 60 s and then a 60 s block, per credential and name.

    Args:
        limit: Requests per window of each named limit.
        ttl: Window length in seconds.
        block: Block length in seconds once a limit is exceeded.

    Returns:
        Route key -> limit, ready for ``CalEmulator(route_limits=...)``.
    """
    return {
        key: RateLimit(limit=limit, ttl=ttl, block=block, name=NAMED_LIMITS[name].name)
        for key, name in ROUTE_THROTTLES.items()
    }

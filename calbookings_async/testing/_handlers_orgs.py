"""Handlers of the organization routes: the four listings, and report and block (API-NOTES §2, §13).

Every route needs an ``ORG_ADMIN`` of the organization in the path (the default API key is one).
Report and block cancel the reported booking and the booker's other upcoming bookings in the
organization (by email, or by email domain). Imports only the emulator's own modules; nothing
from the rest of ``calbookings_async``.
"""

from __future__ import annotations

from ._context import Backend, Ctx, Reply, success
from ._envelope import not_found
from ._handlers_bookings import LIST_PARAMS, TEAM_LIST_PARAMS, list_query
from ._handlers_manage import filter_references
from ._store import not_found_uid
from ._validation import clean_block, clean_report, parse_reference_type

__all__ = [
    "block_booking",
    "org_bookings",
    "org_team_bookings",
    "org_team_references",
    "org_user_bookings",
    "report_booking",
]


def org_bookings(api: Backend, ctx: Ctx) -> Reply:
    """``GET /v2/organizations/{orgId}/bookings`` (with ``userIds``)."""
    org_id = api.org(ctx)
    return list_query(api, ctx, LIST_PARAMS | {"userIds"}, org_id=org_id)


def org_team_bookings(api: Backend, ctx: Ctx) -> Reply:
    """``GET /v2/organizations/{orgId}/teams/{teamId}/bookings``."""
    team = api.org_team(ctx)
    return list_query(api, ctx, TEAM_LIST_PARAMS, team_id=team.id)


def org_team_references(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../teams/{teamId}/bookings/{bookingUid}/references``."""
    team = api.org_team(ctx)
    kind = parse_reference_type(ctx.request.query)
    booking = api.booking(ctx)
    event_type = api.store.event_types.get(booking.event_type_id or -1)
    if event_type is None or event_type.team_id != team.id:
        raise not_found_uid(booking.uid)
    return success(filter_references(api, booking, kind))


def org_user_bookings(api: Backend, ctx: Ctx) -> Reply:
    """``GET /v2/organizations/{orgId}/users/{userId}/bookings``."""
    org_id = api.org(ctx)
    user_id = ctx.path_int("userId")
    user = api.store.users.get(user_id)
    if user is None or user.org_id != org_id:
        raise not_found(f"User with id={user_id} is not part of this organization.")
    return list_query(api, ctx, LIST_PARAMS, host_id=user_id)


def report_booking(api: Backend, ctx: Ctx) -> Reply:
    """``POST /v2/organizations/{orgId}/bookings/report``."""
    org_id = api.org(ctx)
    body = clean_report(ctx.body)
    booking = api.org_booking(org_id, body["bookingUid"])
    cancelled = api.rules.report(
        org_id,
        booking,
        reason=body["reason"],
        kind=body["reportType"],
        by=api.actor(ctx),
    )
    api.record(ctx, "report_booking", [booking, *(b for b in cancelled if b is not booking)])
    return success(
        {
            "success": True,
            "message": "Booking reported and cancelled successfully",
            "bookingUid": booking.uid,
            "reportedCount": 1,
            "cancelledCount": len(cancelled),
        }
    )


def block_booking(api: Backend, ctx: Ctx) -> Reply:
    """``POST /v2/organizations/{orgId}/bookings/block``."""
    org_id = api.org(ctx)
    body = clean_block(ctx.body)
    booking = api.org_booking(org_id, body["bookingUid"])
    value, cancelled = api.rules.block(org_id, booking, kind=body["blockType"], by=api.actor(ctx))
    api.record(ctx, "block_booking", [booking, *(b for b in cancelled if b is not booking)])
    return success(
        {
            "success": True,
            "message": f"Added to blocklist and {len(cancelled)} bookings cancelled",
            "bookingUid": booking.uid,
            "cancelledCount": len(cancelled),
            "blockedValue": value,
        }
    )

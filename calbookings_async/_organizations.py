"""The organization-scoped bookings endpoints: listings, references, reports and blocks.

These are what an organization admin (or a platform OAuth client) uses to see bookings across
its users and teams, the references of a team booking, and to report or block a booker. The
listings page exactly like ``cal.bookings.list`` (a :class:`Pager`) and take their filters from
``_filters``. Like ``_bookings``, the endpoints see the session only through the ``Requester``
protocol, check every argument before sending, and pass their row of ``_operations`` (safety,
API version) with each request.

Imports ``_filters``, ``_paging``, ``_decode``, ``_converter``, ``_inputs``, ``_models``,
``_operations``, ``_validate`` and ``_types``; never ``_bookings`` (a sibling) or ``_session``.
"""

from __future__ import annotations

import builtins

from typing_extensions import Unpack

from ._converter import unstructure
from ._decode import data_about, data_list_of, decode_bookings
from ._filters import (
    BookingFilters,
    OrganizationBookingFilters,
    TeamBookingFilters,
    reference_query,
    to_query,
)
from ._inputs import BlockOrgBookingInput, ReportOrgBookingInput, from_keywords
from ._models import (
    BlockedBooker,
    BookerScope,
    Booking,
    BookingReference,
    BookingReferenceType,
    ReportedBooking,
    ReportReason,
)
from ._operations import op
from ._paging import Pager, request_pages
from ._types import Requester
from ._validate import check_int, check_uid

__all__ = ["Organizations"]


class Organizations:
    """The ``/v2/organizations/{orgId}/...`` bookings endpoints, reached as ``cal.organizations``.

    The credentials need the organization's ``ORG_ADMIN`` role (``TEAM_ADMIN`` for a team's
    bookings) and an organization with the admin API enabled.
    """

    __slots__ = ("_requester",)

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def __repr__(self) -> str:
        return "Organizations()"

    def bookings(
        self,
        org_id: int,
        *,
        take: int | None = None,
        skip: int = 0,
        concurrency: int = 1,
        **filters: Unpack[OrganizationBookingFilters],
    ) -> Pager[Booking]:
        """``GET /v2/organizations/{orgId}/bookings``: the bookings of a whole organization.

        Returns a pager without sending anything (``await`` it for one page, ``async for`` it
        for every booking). Filters left out or ``None`` are not sent. Safe to repeat.

        Args:
            org_id: The organization's id.
            take: Page size, 1 to 250 (the server's default is 100).
            skip: How many bookings to skip before the first page.
            concurrency: When iterating, how many of the following pages to fetch at once.
            **filters: The filters of :class:`OrganizationBookingFilters` (those of
                ``cal.bookings.list`` plus ``user_ids``, bookings hosted by these members).

        Returns:
            A :class:`Pager` of :class:`Booking` objects.

        Raises:
            InvalidArgumentError: A malformed argument (raised here, before anything is sent).
            TypeError: A keyword that is not a filter of this listing.
            PermissionDeniedError: When awaited or iterated, without the ``ORG_ADMIN`` role.
            CalError: When awaited or iterated, any other failure (see the error tree).
        """
        path = f"/v2/organizations/{_id('org_id', org_id)}/bookings"
        query = to_query(OrganizationBookingFilters, filters, method="bookings")
        return self._pages("organizations.bookings", path, query, take, skip, concurrency)

    def team_bookings(
        self,
        org_id: int,
        team_id: int,
        *,
        take: int | None = None,
        skip: int = 0,
        concurrency: int = 1,
        **filters: Unpack[TeamBookingFilters],
    ) -> Pager[Booking]:
        """``GET /v2/organizations/{orgId}/teams/{teamId}/bookings``: a team's bookings.

        This listing takes fewer filters than the others (no team, creation or update
        filters, no ``sort_updated_at``), as the API defines it. Safe to repeat.

        Args:
            org_id: The organization's id.
            team_id: The team's id.
            take: Page size, 1 to 250.
            skip: How many bookings to skip before the first page.
            concurrency: When iterating, how many of the following pages to fetch at once.
            **filters: The filters of :class:`TeamBookingFilters`.

        Returns:
            A :class:`Pager` of :class:`Booking` objects.

        Raises:
            InvalidArgumentError: A malformed argument (raised here, before anything is sent).
            TypeError: A keyword that is not a filter of this listing.
            PermissionDeniedError: When awaited or iterated, without the ``TEAM_ADMIN`` role.
            CalError: When awaited or iterated, any other failure (see the error tree).
        """
        org, team = _id("org_id", org_id), _id("team_id", team_id)
        path = f"/v2/organizations/{org}/teams/{team}/bookings"
        query = to_query(TeamBookingFilters, filters, method="team_bookings")
        return self._pages("organizations.team_bookings", path, query, take, skip, concurrency)

    async def team_booking_references(
        self,
        org_id: int,
        team_id: int,
        booking_uid: str,
        *,
        type: BookingReferenceType | None = None,
    ) -> builtins.list[BookingReference]:
        """``GET /v2/organizations/{orgId}/teams/{teamId}/bookings/{bookingUid}/references``.

        The calendar events and video meetings made for a booking of a team event type.
        Safe to repeat: retried after timeouts and server errors.

        Args:
            org_id: The organization's id.
            team_id: The team's id.
            booking_uid: The booking's uid.
            type: Only references of this kind.

        Returns:
            The booking's references.

        Raises:
            InvalidArgumentError: A malformed argument.
            NotFoundError: No such booking in this team.
            CalError: Any other failure (see the error tree).
        """
        org = _id("org_id", org_id)
        team = _id("team_id", team_id)
        uid = check_uid("booking_uid", booking_uid)
        query = reference_query(type)
        return await self._requester.request(
            op("organizations.team_booking_references"),
            f"/v2/organizations/{org}/teams/{team}/bookings/{uid}/references",
            query=query or None,
            decode=data_list_of(BookingReference),
        )

    def user_bookings(
        self,
        org_id: int,
        user_id: int,
        *,
        take: int | None = None,
        skip: int = 0,
        concurrency: int = 1,
        **filters: Unpack[BookingFilters],
    ) -> Pager[Booking]:
        """``GET /v2/organizations/{orgId}/users/{userId}/bookings``: one member's bookings.

        Safe to repeat. The filters are those of ``cal.bookings.list``.

        Args:
            org_id: The organization's id.
            user_id: The member's user id.
            take: Page size, 1 to 250 (the server's default is 100).
            skip: How many bookings to skip before the first page.
            concurrency: When iterating, how many of the following pages to fetch at once.
            **filters: The filters of :class:`BookingFilters`.

        Returns:
            A :class:`Pager` of :class:`Booking` objects.

        Raises:
            InvalidArgumentError: A malformed argument (raised here, before anything is sent).
            TypeError: A keyword that is not a filter of this listing.
            NotFoundError: When awaited or iterated, the user is not in the organization.
            CalError: When awaited or iterated, any other failure (see the error tree).
        """
        org, user = _id("org_id", org_id), _id("user_id", user_id)
        path = f"/v2/organizations/{org}/users/{user}/bookings"
        query = to_query(BookingFilters, filters, method="user_bookings")
        return self._pages("organizations.user_bookings", path, query, take, skip, concurrency)

    def _pages(
        self,
        operation: str,
        path: str,
        query: builtins.list[tuple[str, str]],
        take: int | None,
        skip: int,
        concurrency: int,
    ) -> Pager[Booking]:
        return request_pages(
            self._requester,
            path,
            query,
            take=take,
            skip=skip,
            concurrency=concurrency,
            operation=op(operation),
            decode_items=decode_bookings,
        )

    # --- reports and blocks --------------------------------------------------------------------

    async def report_booking(
        self,
        org_id: int,
        booking_uid: str,
        *,
        reason: ReportReason,
        report_type: BookerScope,
        description: str | None = None,
    ) -> ReportedBooking:
        """``POST /v2/organizations/{orgId}/bookings/report``: report a booking's booker.

        Files a report, and cancels (silently) the booking and the other upcoming bookings of
        the same booker, or of every booker of the same domain. Not safe to repeat: never
        retried after the server may have seen the request (a repeat files another report).

        Args:
            org_id: The organization's id.
            booking_uid: The booking reported.
            reason: Why (a :class:`ReportReason` or its value, ``"SPAM"``).
            report_type: Report the booker's email address or their whole domain (a
                :class:`BookerScope` or its value).
            description: More words on why.

        Returns:
            What the server did: the reports filed and the bookings cancelled.

        Raises:
            InvalidArgumentError: A malformed argument.
            PermissionDeniedError: Without the organization's admin role.
            NotFoundError: No such booking in the organization.
            CalError: Any other failure (see the error tree).
        """
        path = f"/v2/organizations/{_id('org_id', org_id)}/bookings/report"
        body = from_keywords(
            ReportOrgBookingInput,
            booking_uid=booking_uid,
            reason=reason,
            report_type=report_type,
            description=description,
        )
        return await self._requester.request(
            op("organizations.report_booking"),
            path,
            body=unstructure(body),
            decode=data_about(ReportedBooking, "bookingUid", booking_uid),
        )

    async def block_booking(
        self, org_id: int, booking_uid: str, *, block_type: BookerScope
    ) -> BlockedBooker:
        """``POST /v2/organizations/{orgId}/bookings/block``: block a booking's booker.

        Puts the booker's email address (or their whole domain) on the organization's
        blocklist and cancels (silently) their upcoming bookings in the organization. Safe to
        repeat: a repeat finds both done.

        Args:
            org_id: The organization's id.
            booking_uid: The booking whose booker is blocked.
            block_type: Block the booker's email address or their whole domain (a
                :class:`BookerScope` or its value).

        Returns:
            What the server did: the value blocked and the bookings cancelled.

        Raises:
            InvalidArgumentError: A malformed argument.
            PermissionDeniedError: Without the organization's admin role.
            NotFoundError: No such booking in the organization.
            CalError: Any other failure (see the error tree).
        """
        path = f"/v2/organizations/{_id('org_id', org_id)}/bookings/block"
        body = from_keywords(BlockOrgBookingInput, booking_uid=booking_uid, block_type=block_type)
        return await self._requester.request(
            op("organizations.block_booking"),
            path,
            body=unstructure(body),
            decode=data_about(BlockedBooker, "bookingUid", booking_uid),
        )


def _id(argument: str, value: int) -> int:
    # Ids go into the path; an int can never change which URL is called.
    return check_int(argument, value, minimum=1)

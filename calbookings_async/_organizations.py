"""The organization-scoped bookings endpoints: an organization's, a team's and a member's bookings.

These are the listings an organization admin (or a platform OAuth client) uses to see bookings
across its users and teams, plus the references of a team booking. The listings page exactly
like ``cal.bookings.list`` (a :class:`Pager`). Like ``_bookings``, the endpoints see the session
only through the ``Requester`` protocol, check every argument before sending, and declare
themselves safe to repeat (they only read).

Imports ``_paging``, ``_decode``, ``_models``, ``_validate`` and ``_types``; never ``_bookings``
(a sibling) or ``_session``.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from ._decode import data_list_of, decode_bookings
from ._models import Booking, BookingListStatus, BookingReference, BookingReferenceType, SortOrder
from ._operations import op
from ._paging import Pager, listing_query, reference_query, request_pages
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
        status: BookingListStatus | Sequence[BookingListStatus] | None = None,
        attendee_email: str | None = None,
        attendee_name: str | None = None,
        booking_uid: str | None = None,
        event_type_ids: Sequence[int] | None = None,
        event_type_id: int | None = None,
        team_ids: Sequence[int] | None = None,
        team_id: int | None = None,
        user_ids: Sequence[int] | None = None,
        after_start: datetime | None = None,
        before_end: datetime | None = None,
        after_created_at: datetime | None = None,
        before_created_at: datetime | None = None,
        after_updated_at: datetime | None = None,
        before_updated_at: datetime | None = None,
        sort_start: SortOrder | None = None,
        sort_end: SortOrder | None = None,
        sort_created: SortOrder | None = None,
        sort_updated_at: SortOrder | None = None,
        take: int | None = None,
        skip: int = 0,
        concurrency: int = 1,
    ) -> Pager[Booking]:
        """``GET /v2/organizations/{orgId}/bookings``: the bookings of a whole organization.

        Returns a pager without sending anything (``await`` it for one page, ``async for`` it
        for every booking). Filters left at ``None`` are not sent. Safe to repeat.

        Args:
            org_id: The organization's id.
            status: One status or several (any of them matches).
            attendee_email: Bookings with an attendee of this email address.
            attendee_name: Bookings with an attendee of this name.
            booking_uid: The booking with this uid.
            event_type_ids: Bookings of any of these event types.
            event_type_id: Bookings of this event type.
            team_ids: Bookings of event types of any of these teams.
            team_id: Bookings of event types of this team.
            user_ids: Bookings hosted by any of these members.
            after_start: Bookings starting after this moment (an aware ``datetime``).
            before_end: Bookings ending before this moment.
            after_created_at: Bookings created after this moment.
            before_created_at: Bookings created before this moment.
            after_updated_at: Bookings last changed after this moment.
            before_updated_at: Bookings last changed before this moment.
            sort_start: Sort by start time.
            sort_end: Sort by end time.
            sort_created: Sort by creation time.
            sort_updated_at: Sort by time of the last change.
            take: Page size, 1 to 250 (the server's default is 100).
            skip: How many bookings to skip before the first page.
            concurrency: When iterating, how many of the following pages to fetch at once.

        Returns:
            A :class:`Pager` of :class:`Booking` objects.

        Raises:
            InvalidArgumentError: A malformed argument (raised here, before anything is sent).
            PermissionDeniedError: When awaited or iterated, without the ``ORG_ADMIN`` role.
            CalError: When awaited or iterated, any other failure (see the error tree).
        """
        path = f"/v2/organizations/{_id('org_id', org_id)}/bookings"
        query = listing_query(
            status=status,
            attendee_email=attendee_email,
            attendee_name=attendee_name,
            booking_uid=booking_uid,
            event_type_ids=event_type_ids,
            event_type_id=event_type_id,
            team_ids=team_ids,
            team_id=team_id,
            after_start=after_start,
            before_end=before_end,
            after_created_at=after_created_at,
            before_created_at=before_created_at,
            after_updated_at=after_updated_at,
            before_updated_at=before_updated_at,
            sort_start=sort_start,
            sort_end=sort_end,
            sort_created=sort_created,
            sort_updated_at=sort_updated_at,
            user_ids=user_ids,
            take=take,
        )
        return request_pages(
            self._requester,
            path,
            query,
            skip=skip,
            concurrency=concurrency,
            operation=op("organizations.bookings"),
            decode_items=decode_bookings,
        )

    def team_bookings(
        self,
        org_id: int,
        team_id: int,
        *,
        status: BookingListStatus | Sequence[BookingListStatus] | None = None,
        attendee_email: str | None = None,
        attendee_name: str | None = None,
        booking_uid: str | None = None,
        event_type_ids: Sequence[int] | None = None,
        event_type_id: int | None = None,
        after_start: datetime | None = None,
        before_end: datetime | None = None,
        sort_start: SortOrder | None = None,
        sort_end: SortOrder | None = None,
        sort_created: SortOrder | None = None,
        take: int | None = None,
        skip: int = 0,
        concurrency: int = 1,
    ) -> Pager[Booking]:
        """``GET /v2/organizations/{orgId}/teams/{teamId}/bookings``: a team's bookings.

        This listing takes fewer filters than the others (no team, creation or update
        filters, no ``sort_updated_at``), as the API defines it. Safe to repeat.

        Args:
            org_id: The organization's id.
            team_id: The team's id.
            status: One status or several (any of them matches).
            attendee_email: Bookings with an attendee of this email address.
            attendee_name: Bookings with an attendee of this name.
            booking_uid: The booking with this uid.
            event_type_ids: Bookings of any of these event types.
            event_type_id: Bookings of this event type.
            after_start: Bookings starting after this moment (an aware ``datetime``).
            before_end: Bookings ending before this moment.
            sort_start: Sort by start time.
            sort_end: Sort by end time.
            sort_created: Sort by creation time.
            take: Page size, 1 to 250.
            skip: How many bookings to skip before the first page.
            concurrency: When iterating, how many of the following pages to fetch at once.

        Returns:
            A :class:`Pager` of :class:`Booking` objects.

        Raises:
            InvalidArgumentError: A malformed argument (raised here, before anything is sent).
            PermissionDeniedError: When awaited or iterated, without the ``TEAM_ADMIN`` role.
            CalError: When awaited or iterated, any other failure (see the error tree).
        """
        org, team = _id("org_id", org_id), _id("team_id", team_id)
        path = f"/v2/organizations/{org}/teams/{team}/bookings"
        query = listing_query(
            status=status,
            attendee_email=attendee_email,
            attendee_name=attendee_name,
            booking_uid=booking_uid,
            event_type_ids=event_type_ids,
            event_type_id=event_type_id,
            after_start=after_start,
            before_end=before_end,
            sort_start=sort_start,
            sort_end=sort_end,
            sort_created=sort_created,
            take=take,
        )
        return request_pages(
            self._requester,
            path,
            query,
            skip=skip,
            concurrency=concurrency,
            operation=op("organizations.team_bookings"),
            decode_items=decode_bookings,
        )

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
        status: BookingListStatus | Sequence[BookingListStatus] | None = None,
        attendee_email: str | None = None,
        attendee_name: str | None = None,
        booking_uid: str | None = None,
        event_type_ids: Sequence[int] | None = None,
        event_type_id: int | None = None,
        team_ids: Sequence[int] | None = None,
        team_id: int | None = None,
        after_start: datetime | None = None,
        before_end: datetime | None = None,
        after_created_at: datetime | None = None,
        before_created_at: datetime | None = None,
        after_updated_at: datetime | None = None,
        before_updated_at: datetime | None = None,
        sort_start: SortOrder | None = None,
        sort_end: SortOrder | None = None,
        sort_created: SortOrder | None = None,
        sort_updated_at: SortOrder | None = None,
        take: int | None = None,
        skip: int = 0,
        concurrency: int = 1,
    ) -> Pager[Booking]:
        """``GET /v2/organizations/{orgId}/users/{userId}/bookings``: one member's bookings.

        Safe to repeat. The filters are those of ``cal.bookings.list``.

        Args:
            org_id: The organization's id.
            user_id: The member's user id.
            status: One status or several (any of them matches).
            attendee_email: Bookings with an attendee of this email address.
            attendee_name: Bookings with an attendee of this name.
            booking_uid: The booking with this uid.
            event_type_ids: Bookings of any of these event types.
            event_type_id: Bookings of this event type.
            team_ids: Bookings of event types of any of these teams.
            team_id: Bookings of event types of this team.
            after_start: Bookings starting after this moment (an aware ``datetime``).
            before_end: Bookings ending before this moment.
            after_created_at: Bookings created after this moment.
            before_created_at: Bookings created before this moment.
            after_updated_at: Bookings last changed after this moment.
            before_updated_at: Bookings last changed before this moment.
            sort_start: Sort by start time.
            sort_end: Sort by end time.
            sort_created: Sort by creation time.
            sort_updated_at: Sort by time of the last change.
            take: Page size, 1 to 250 (the server's default is 100).
            skip: How many bookings to skip before the first page.
            concurrency: When iterating, how many of the following pages to fetch at once.

        Returns:
            A :class:`Pager` of :class:`Booking` objects.

        Raises:
            InvalidArgumentError: A malformed argument (raised here, before anything is sent).
            NotFoundError: When awaited or iterated, the user is not in the organization.
            CalError: When awaited or iterated, any other failure (see the error tree).
        """
        org, user = _id("org_id", org_id), _id("user_id", user_id)
        path = f"/v2/organizations/{org}/users/{user}/bookings"
        query = listing_query(
            status=status,
            attendee_email=attendee_email,
            attendee_name=attendee_name,
            booking_uid=booking_uid,
            event_type_ids=event_type_ids,
            event_type_id=event_type_id,
            team_ids=team_ids,
            team_id=team_id,
            after_start=after_start,
            before_end=before_end,
            after_created_at=after_created_at,
            before_created_at=before_created_at,
            after_updated_at=after_updated_at,
            before_updated_at=before_updated_at,
            sort_start=sort_start,
            sort_end=sort_end,
            sort_created=sort_created,
            sort_updated_at=sort_updated_at,
            take=take,
        )
        return request_pages(
            self._requester,
            path,
            query,
            skip=skip,
            concurrency=concurrency,
            operation=op("organizations.user_bookings"),
            decode_items=decode_bookings,
        )


def _id(argument: str, value: int) -> int:
    # Ids go into the path; an int can never change which URL is called.
    return check_int(argument, value, minimum=1)

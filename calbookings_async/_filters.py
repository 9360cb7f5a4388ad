"""The filters of the booking listings, written once: their names, types, checks and query form.

Every listing (``cal.bookings.list``, ``cal.organizations.bookings``, ``team_bookings`` and
``user_bookings``) takes its filters as keyword arguments typed by one of three ``TypedDict``
classes, each extending the one before:

* :class:`TeamBookingFilters`: what a team's listing accepts (the API gives it fewer filters);
* :class:`BookingFilters`: every filter of ``GET /v2/bookings`` (and of a member's listing);
* :class:`OrganizationBookingFilters`: those plus ``user_ids``, for an organization's listing.

The ``TypedDict`` is the only list of filters in the package. The methods declare
``**filters: Unpack[BookingFilters]``, so a type checker checks every keyword a caller passes,
and a caller can keep a set of filters as a typed value (``f: BookingFilters = {...}``,
``cal.bookings.list(**f)``). At run time :func:`to_query` checks each value and formats it, with
a check chosen from the field's declared type (:data:`_FORMATS`): a filter added to a
``TypedDict`` is checked and sent without being written anywhere else. A filter left out or
``None`` is not sent.

The ``type`` filter of the two references endpoints is here as well (:func:`reference_query`).

Imports ``_converter`` (datetime formatting), ``_inputs`` (enum checks), ``_models``,
``_validate`` and ``_errors``; nothing that sends requests.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

from ._converter import camel_case, format_datetime
from ._errors import InvalidArgumentError
from ._inputs import check_member, enum_member
from ._models import BookingListStatus, BookingReferenceType, SortOrder
from ._validate import check_aware_datetime, check_int, check_str, items_of

__all__ = [
    "BookingFilters",
    "OrganizationBookingFilters",
    "TeamBookingFilters",
    "reference_query",
    "to_query",
]


class TeamBookingFilters(TypedDict, total=False):
    """The filters of a team's listing (``cal.organizations.team_bookings``).

    Every key is optional; ``None`` is the same as leaving it out (not sent).

    Attributes:
        status: One status or several (sent comma-separated; any of them matches).
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
    """

    status: BookingListStatus | Sequence[BookingListStatus] | None
    attendee_email: str | None
    attendee_name: str | None
    booking_uid: str | None
    event_type_ids: Sequence[int] | None
    event_type_id: int | None
    after_start: datetime | None
    before_end: datetime | None
    sort_start: SortOrder | None
    sort_end: SortOrder | None
    sort_created: SortOrder | None


class BookingFilters(TeamBookingFilters, total=False):
    """The filters of ``cal.bookings.list`` and ``cal.organizations.user_bookings``.

    Those of :class:`TeamBookingFilters`, plus:

    Attributes:
        team_ids: Bookings of event types of any of these teams.
        team_id: Bookings of event types of this team.
        after_created_at: Bookings created after this moment (an aware ``datetime``).
        before_created_at: Bookings created before this moment.
        after_updated_at: Bookings last changed after this moment.
        before_updated_at: Bookings last changed before this moment.
        sort_updated_at: Sort by time of the last change.
    """

    team_ids: Sequence[int] | None
    team_id: int | None
    after_created_at: datetime | None
    before_created_at: datetime | None
    after_updated_at: datetime | None
    before_updated_at: datetime | None
    sort_updated_at: SortOrder | None


class OrganizationBookingFilters(BookingFilters, total=False):
    """The filters of ``cal.organizations.bookings``: those of :class:`BookingFilters`, plus:

    Attributes:
        user_ids: Bookings hosted by any of these members.
    """

    user_ids: Sequence[int] | None


# --- checking and formatting, chosen by the declared type ---------------------------------------


def _text(argument: str, value: Any) -> str:
    return check_str(argument, value)


def _positive_id(argument: str, value: Any) -> str:
    return str(check_int(argument, value, minimum=1))


def _ids(argument: str, value: Any) -> str:
    items = items_of(argument, value)
    if not items:
        raise InvalidArgumentError(argument, "must not be empty (leave it out to not filter)")
    for index, item in enumerate(items):
        check_int(f"{argument}[{index}]", item, minimum=1)
    return ",".join(str(item) for item in items)


def _statuses(argument: str, value: Any) -> str:
    if isinstance(value, str):  # one status (a BookingListStatus is a str too)
        value = [value]
    items = items_of(argument, value)
    if not items:
        raise InvalidArgumentError(argument, "must not be empty (leave it out to not filter)")
    values = []
    for index, item in enumerate(items):
        member = enum_member(BookingListStatus, item)
        check_member(
            f"{argument}[{index}]" if len(items) > 1 else argument, member, BookingListStatus
        )
        values.append(member.value)
    return ",".join(values)


def _sort(argument: str, value: Any) -> str:
    member = enum_member(SortOrder, value)
    check_member(argument, member, SortOrder)
    return str(member.value)


def _when(argument: str, value: Any) -> str:
    return format_datetime(check_aware_datetime(argument, value))


Format = Callable[[str, Any], str]

#: Declared type of a filter -> how its value is checked and sent.
_FORMATS: tuple[tuple[Any, Format], ...] = (
    (BookingListStatus | Sequence[BookingListStatus] | None, _statuses),
    (str | None, _text),
    (int | None, _positive_id),
    (Sequence[int] | None, _ids),
    (datetime | None, _when),
    (SortOrder | None, _sort),
)
#: Filters whose query name is not the camelCase of the keyword. The server reads "teamsIds"
#: (the spec's example says "teamIds": API-NOTES §2.1).
_QUERY_NAMES = {"team_ids": "teamsIds"}


def _table(filters: type[TeamBookingFilters]) -> dict[str, tuple[str, Format]]:
    """keyword -> (query name, format), in declaration order, from the ``TypedDict``."""
    table = {}
    for keyword, declared in typing.get_type_hints(filters).items():
        found = [f for tp, f in _FORMATS if _same_type(tp, declared)]
        if len(found) != 1:  # pragma: no cover - a filter of a new type needs a format above
            raise TypeError(f"{filters.__name__}.{keyword}: no check for {declared}")
        table[keyword] = (_QUERY_NAMES.get(keyword, camel_case(keyword)), found[0])
    return table


def _same_type(a: Any, b: Any) -> bool:
    # Unions compare as sets of their members; typing.Optional and X | None are the same.
    def members(tp: Any) -> frozenset[Any]:
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            return frozenset(typing.get_args(tp))
        return frozenset((tp,))

    return members(a) == members(b)


_TABLES: dict[type[TeamBookingFilters], dict[str, tuple[str, Format]]] = {
    kind: _table(kind) for kind in (TeamBookingFilters, BookingFilters, OrganizationBookingFilters)
}


def to_query(
    kind: type[TeamBookingFilters], filters: Mapping[str, Any], *, method: str
) -> list[tuple[str, str]]:
    """Check a listing's filters and format them as query parameters.

    Only the filters given (not ``None``) are sent, in the order the ``TypedDict`` declares
    them. Lists are sent comma-separated, datetimes as ISO 8601 UTC with milliseconds, enums
    as their values.

    Args:
        kind: Which filters the listing accepts (one of the three ``TypedDict`` classes).
        filters: The caller's keyword arguments.
        method: The listing's name, for the error about an unknown keyword.

    Returns:
        The query parameters, as (name, value) pairs.

    Raises:
        TypeError: A keyword that is not a filter of this listing (as Python says it for any
            function).
        InvalidArgumentError: A malformed filter, named as the caller's keyword argument.
    """
    table = _TABLES[kind]
    for keyword in filters:
        if keyword not in table:
            raise TypeError(
                f"{method}() got an unexpected keyword argument {keyword!r} "
                f"(its filters are those of {kind.__name__})"
            )
    query = []
    for keyword, (name, format_) in table.items():
        value = filters.get(keyword)
        if value is not None:
            query.append((name, format_(keyword, value)))
    return query


def reference_query(type: Any) -> list[tuple[str, str]]:
    """The ``type`` filter of the booking-references endpoints, checked.

    Raises:
        InvalidArgumentError: ``type`` is not a :class:`BookingReferenceType` value.
    """
    if type is None:
        return []
    member = enum_member(BookingReferenceType, type)
    check_member("type", member, BookingReferenceType)
    return [("type", str(member.value))]

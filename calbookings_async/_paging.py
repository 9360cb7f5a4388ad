"""Offset paging for the booking listings: one page when awaited, every item when iterated.

A listing call returns a :class:`Pager` at once, without sending anything (its arguments are
checked then, so a bad filter fails where it was written). ``await pager`` fetches one page;
``async for item in pager`` walks every page the way API-NOTES §9 prescribes: ask for the next
offset (``skip`` plus the page's ``returnedItems``) while the page says ``hasNextPage``, and stop
at an empty page whatever it says. Pages are not kept: a walk over 100,000 bookings holds the
page being consumed (plus, fetching concurrently, at most ``concurrency`` pages fetched ahead).

With ``concurrency > 1`` the first page is fetched alone, to learn the total; then the offsets of
the following pages are known and up to ``concurrency`` of them are fetched at once, while the
consumer works on the current one. Pages are still yielded in order, and at most
``concurrency`` pages are fetched ahead of the consumer. If the consumer stops early (``break``,
an exception, cancellation) the fetches still running are cancelled and awaited when the
iterator is closed.

The listing query (filters, sorts, ``take``) is built and checked here too, because all four
listings share it, as is the ``type`` filter the two references endpoints share.

This module imports ``_decode``, ``_converter``, ``_inputs``, ``_models``, ``_validate``,
``_errors`` and ``_types``; never ``_bookings`` or ``_session``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Sequence,
)
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from ._converter import format_datetime
from ._decode import decode
from ._errors import InvalidArgumentError
from ._inputs import check_member, enum_member
from ._models import BookingListStatus, BookingReferenceType, Pagination, SortOrder
from ._types import JSONObject, Operation, Requester
from ._validate import check_aware_datetime, check_int, check_str, items_of

__all__ = [
    "MAX_TAKE",
    "Page",
    "Pager",
    "listing_query",
    "reference_query",
    "request_pages",
]

T = TypeVar("T")

#: The largest page the server serves (``@Max(250)`` on ``take``).
MAX_TAKE = 250

FetchPage = Callable[[int], Awaitable["Page[T]"]]


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a listing.

    Iterating a page (or ``len(page)``) goes over its items.

    Attributes:
        items: The items of this page, in the order the server sent them.
        pagination: Where the page sits in the whole result (snake_case ``PaginationMetaDto``).
        skip: The offset this page was asked for.
    """

    items: list[T]
    pagination: Pagination
    skip: int = 0
    _fetch: FetchPage[T] | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def has_next_page(self) -> bool:
        """Whether the server says items follow this page."""
        return self.pagination.has_next_page

    @property
    def next_skip(self) -> int:
        """The ``skip`` of the following page: this page's offset plus the items it returned."""
        return self.skip + self.pagination.returned_items

    async def next_page(self) -> Page[T] | None:
        """Fetch the following page, or return ``None`` after the last one.

        Raises:
            CalError: The request failed (see the error tree).
        """
        if self._fetch is None or not _continues(self):
            return None
        return await self._fetch(self.next_skip)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


def _continues(page: Page[Any]) -> bool:
    # An empty page ends a walk even when it claims a next page: asking again from the same
    # offset would return it forever.
    return page.pagination.has_next_page and page.pagination.returned_items > 0 and bool(page.items)


class Pager(Generic[T]):
    """A listing: ``await`` it for one page, ``async for`` it for every item of every page.

    Nothing is sent until the pager is awaited or iterated, and each walk starts afresh::

        page = await cal.bookings.list(take=50)           # one page
        async for booking in cal.bookings.list(take=250):  # every booking, page by page
            ...
        async for page in cal.bookings.list(take=250).pages():
            ...

    Stopping early is safe. To cancel concurrent fetches at a precise point rather than when
    the abandoned iterator is collected, close it explicitly, for example with
    ``async with contextlib.aclosing(pager.pages()) as pages:``.
    """

    __slots__ = ("_concurrency", "_fetch", "_skip")

    def __init__(self, fetch: FetchPage[T], *, skip: int = 0, concurrency: int = 1) -> None:
        self._fetch = fetch
        self._skip = skip
        self._concurrency = concurrency

    def __repr__(self) -> str:
        return f"Pager(skip={self._skip}, concurrency={self._concurrency})"

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self._fetch(self._skip).__await__()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    def pages(self) -> AsyncGenerator[Page[T], None]:
        """Every page in turn, starting at the pager's ``skip``.

        Returns:
            An async generator of :class:`Page` objects; it stops after the last page or at
            the first empty one. ``aclose()`` it to stop early at a precise point.
        """
        return self._walk()

    async def _items(self) -> AsyncGenerator[T, None]:
        async with contextlib.aclosing(self._walk()) as pages:
            async for page in pages:
                items = page.items
                del page  # hold one page, not two, while the next one is fetched
                for item in items:
                    yield item
                del items

    async def _walk(self) -> AsyncGenerator[Page[T], None]:
        page = await self._fetch(self._skip)
        if self._concurrency > 1:
            async with contextlib.aclosing(self._walk_concurrently(page)) as pages:
                del page
                async for page in pages:
                    yield page
            return
        while True:
            yield page
            if not _continues(page):
                return
            skip = page.next_skip
            del page
            page = await self._fetch(skip)

    async def _walk_concurrently(self, first: Page[T]) -> AsyncGenerator[Page[T], None]:
        """Yield ``first`` and the pages after it, fetching up to ``concurrency`` ahead."""
        fetch = self._fetch
        limit = self._concurrency
        # Offsets are absolute, so once the page size and the total are known every following
        # page can be asked for at once; ``take`` is what the server reported it served.
        take = first.pagination.items_per_page or first.pagination.returned_items
        planned = first.next_skip
        window: collections.deque[asyncio.Future[Page[T]]] = collections.deque()
        page = first
        del first
        try:
            while _continues(page):
                # Top the window up before handing the page over, so that the next pages
                # download while the consumer works. The total is re-read from every page:
                # it moves while bookings are made and cancelled.
                total = page.pagination.total_items
                while len(window) < limit and planned < total:
                    window.append(asyncio.ensure_future(fetch(planned)))
                    planned += take
                if not window:
                    # The page says more follows though the total said not: go on one by one.
                    planned = page.next_skip
                    window.append(asyncio.ensure_future(fetch(planned)))
                    planned += take
                yield page
                task = window.popleft()
                del page
                page = await task
            yield page
        finally:
            # Stopped early (or failed): cancel what is still running and wait for it, so no
            # task outlives the walk and no failure goes unretrieved.
            for pending in window:
                pending.cancel()
            if window:
                await asyncio.gather(*window, return_exceptions=True)


def decode_page(
    envelope: JSONObject,
    *,
    skip: int,
    decode_items: Callable[[Any], list[T]],
    fetch: FetchPage[T] | None = None,
) -> Page[T]:
    """Build a :class:`Page` from a listing's success envelope.

    Raises:
        DecodeError: ``data`` or ``pagination`` do not have the expected shape.
    """
    items = decode_items(envelope.get("data"))
    pagination = decode(envelope.get("pagination"), Pagination, "$.pagination")
    return Page(items=items, pagination=pagination, skip=skip, fetch=fetch)


def request_pages(
    requester: Requester,
    path: str,
    query: Sequence[tuple[str, str]],
    *,
    skip: int,
    concurrency: int,
    operation: Operation,
    decode_items: Callable[[Any], list[T]],
) -> Pager[T]:
    """A :class:`Pager` over ``GET path?query&skip=...`` (the arguments are checked first).

    Args:
        requester: Sends the requests.
        path: The listing's path, already percent-encoded.
        query: The filters, from :func:`listing_query`.
        skip: The offset of the first page (checked: at least 0).
        concurrency: Pages fetched at once after the first (checked: at least 1).
        operation: The listing operation (from ``_operations``).
        decode_items: Decodes a page's ``data``.

    Raises:
        InvalidArgumentError: ``skip`` or ``concurrency`` is out of range.
    """
    check_int("skip", skip, minimum=0)
    check_int("concurrency", concurrency, minimum=1)
    base = tuple(query)

    async def fetch(offset: int) -> Page[T]:
        def decode_envelope(envelope: JSONObject) -> Page[T]:
            return decode_page(envelope, skip=offset, decode_items=decode_items, fetch=fetch)

        return await requester.request(
            operation,
            path,
            query=(*base, ("skip", str(offset))) if offset else base,
            decode=decode_envelope,
        )

    return Pager(fetch, skip=skip, concurrency=concurrency)


# --- the listing query ------------------------------------------------------------------------


def _ids(argument: str, value: Any) -> str:
    items = items_of(argument, value)
    if not items:
        raise InvalidArgumentError(argument, "must not be empty (leave it out to not filter)")
    for index, item in enumerate(items):
        check_int(f"{argument}[{index}]", item, minimum=1)
    return ",".join(str(item) for item in items)


def _statuses(value: Any) -> str:
    if isinstance(value, str):  # one status (a BookingListStatus is a str too)
        value = [value]
    items = items_of("status", value)
    if not items:
        raise InvalidArgumentError("status", "must not be empty (leave it out to not filter)")
    values = []
    for index, item in enumerate(items):
        member = enum_member(BookingListStatus, item)
        check_member(f"status[{index}]" if len(items) > 1 else "status", member, BookingListStatus)
        values.append(member.value)
    return ",".join(values)


def _sort(argument: str, value: Any) -> str:
    member = enum_member(SortOrder, value)
    check_member(argument, member, SortOrder)
    return str(member.value)


def _when(argument: str, value: Any) -> str:
    return format_datetime(check_aware_datetime(argument, value))


def listing_query(
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
    user_ids: Sequence[int] | None = None,
    take: int | None = None,
) -> list[tuple[str, str]]:
    """Check the filters of a booking listing and format them as query parameters.

    Only the arguments given (not ``None``) are sent, in the order of the spec. Lists are sent
    comma-separated, datetimes as ISO 8601 UTC with milliseconds, enums as their values.

    Raises:
        InvalidArgumentError: A malformed filter, named as the caller's keyword argument.
    """
    query: list[tuple[str, str]] = []
    if status is not None:
        query.append(("status", _statuses(status)))
    if attendee_email is not None:
        query.append(("attendeeEmail", check_str("attendee_email", attendee_email)))
    if attendee_name is not None:
        query.append(("attendeeName", check_str("attendee_name", attendee_name)))
    if booking_uid is not None:
        query.append(("bookingUid", check_str("booking_uid", booking_uid)))
    if event_type_ids is not None:
        query.append(("eventTypeIds", _ids("event_type_ids", event_type_ids)))
    if event_type_id is not None:
        query.append(("eventTypeId", str(check_int("event_type_id", event_type_id, minimum=1))))
    if team_ids is not None:
        # The server reads "teamsIds" (the spec's example says "teamIds": API-NOTES §2.1).
        query.append(("teamsIds", _ids("team_ids", team_ids)))
    if team_id is not None:
        query.append(("teamId", str(check_int("team_id", team_id, minimum=1))))
    for name, argument, value in (
        ("afterStart", "after_start", after_start),
        ("beforeEnd", "before_end", before_end),
        ("afterCreatedAt", "after_created_at", after_created_at),
        ("beforeCreatedAt", "before_created_at", before_created_at),
        ("afterUpdatedAt", "after_updated_at", after_updated_at),
        ("beforeUpdatedAt", "before_updated_at", before_updated_at),
    ):
        if value is not None:
            query.append((name, _when(argument, value)))
    for name, argument, order in (
        ("sortStart", "sort_start", sort_start),
        ("sortEnd", "sort_end", sort_end),
        ("sortCreated", "sort_created", sort_created),
        ("sortUpdatedAt", "sort_updated_at", sort_updated_at),
    ):
        if order is not None:
            query.append((name, _sort(argument, order)))
    if user_ids is not None:
        query.append(("userIds", _ids("user_ids", user_ids)))
    if take is not None:
        query.append(("take", str(check_int("take", take, minimum=1, maximum=MAX_TAKE))))
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

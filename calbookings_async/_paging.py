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

Every page is checked against the request that asked for it before its items are decoded: its
``data`` is an array, and its ``pagination`` says the page size and offset that were asked for
(``itemsPerPage`` is the ``take`` sent, ``hasPreviousPage`` and ``currentPage`` follow from the
``skip`` sent, API-NOTES §9). A page that does not fit is an answer to another request (say,
another page of the same walk), raised as :class:`~calbookings_async._errors.AnswerMismatch`.

The filters are not built here: each listing hands over its query, already checked (see
``_filters``); this module adds ``take`` and ``skip`` and pages.

This module imports ``_decode``, ``_models``, ``_validate``, ``_errors`` and ``_types``; never
``_bookings`` or ``_session``.
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
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

import attrs

from ._decode import decode
from ._errors import AnswerMismatch
from ._models import Pagination
from ._types import JSONObject, Operation, Requester
from ._validate import check_int

__all__ = [
    "MAX_TAKE",
    "Page",
    "Pager",
    "request_pages",
]

T = TypeVar("T")

#: The largest page the server serves (``@Max(250)`` on ``take``).
MAX_TAKE = 250

FetchPage = Callable[[int], Awaitable["Page[T]"]]

_SYNC_FOR_HINT = (
    "a listing is asynchronous: iterate it with 'async for' "
    "('async for booking in cal.bookings.list(...)'), or 'await' it for one page"
)
_AWAIT_HINT = (
    "'Pager' object has no attribute {name!r}: a listing must be awaited for a page "
    "('page = await cal.bookings.list(...)', then 'page.{name}'), or iterated with 'async for'"
)
#: What a Page has and a Pager does not: reading one of them on a pager means a missing await.
_PAGE_ATTRIBUTES = frozenset(
    ("items", "pagination", "skip", "has_next_page", "next_skip", "next_page")
)


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

    if not TYPE_CHECKING:
        # Hidden from type checkers, so that they still flag ``for b in pager`` and
        # ``pager.items``; at run time the mistake gets a message saying what to write.

        def __iter__(self) -> NoReturn:
            raise TypeError(_SYNC_FOR_HINT)

        def __getattr__(self, name: str) -> NoReturn:
            if name in _PAGE_ATTRIBUTES:
                raise AttributeError(_AWAIT_HINT.format(name=name), name=name, obj=self)
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )

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
    take: int | None,
    decode_items: Callable[[Any], list[T]],
    fetch: FetchPage[T] | None = None,
) -> Page[T]:
    """Build a :class:`Page` from a listing's success envelope, checked against its request.

    Args:
        envelope: The success envelope.
        skip: The ``skip`` sent.
        take: The ``take`` sent, or ``None`` when the server's default was used.
        decode_items: Decodes the page's ``data``.
        fetch: Fetches another page (for :meth:`Page.next_page`).

    Raises:
        AnswerMismatch: ``data`` is not an array, or ``pagination`` describes another page.
        DecodeError: ``data`` or ``pagination`` do not have the expected shape.
    """
    data = envelope.get("data")
    if data.__class__ is not list:
        raise AnswerMismatch("$.data", f"expected the page's array, got {_kind(data)}")
    pagination = decode(envelope.get("pagination"), Pagination, "$.pagination")
    _check_page(pagination, len(data), skip, take)
    items = decode_items(data)
    return Page(items=items, pagination=pagination, skip=skip, fetch=fetch)


def _kind(value: Any) -> str:
    return "null" if value is None else f"a {type(value).__name__} value"


def _check_page(pagination: Pagination, count: int, skip: int, take: int | None) -> None:
    """Raise :class:`AnswerMismatch` unless ``pagination`` describes the page asked for.

    The server computes it from the ``take`` and ``skip`` it was sent and the total
    (API-NOTES §9): ``skip`` is clamped to the total, ``hasPreviousPage`` is ``skip > 0``,
    ``currentPage`` is ``skip // take + 1`` within ``1..totalPages``.
    """
    per_page = pagination.items_per_page
    if take is not None and per_page != take:
        problem = f"itemsPerPage is {per_page} but take={take} was sent"
    elif count > per_page:
        problem = f"{count} items on a page of {per_page}"
    else:
        clamped = min(skip, pagination.total_items)
        pages = pagination.total_pages
        expected = min(clamped // per_page + 1, pages) if pages and per_page > 0 else 0
        if pagination.has_previous_page is not (clamped > 0):
            problem = f"hasPreviousPage is {pagination.has_previous_page} for skip={skip}"
        elif pages and pagination.current_page != expected:
            problem = f"currentPage is {pagination.current_page}, page {expected} was asked for"
        else:
            return
    raise AnswerMismatch("$.pagination", f"another page than the one asked for: {problem}")


def request_pages(
    requester: Requester,
    path: str,
    query: Sequence[tuple[str, str]],
    *,
    take: int | None,
    skip: int,
    concurrency: int,
    operation: Operation,
    decode_items: Callable[[Any], list[T]],
) -> Pager[T]:
    """A :class:`Pager` over ``GET path?query&take=...&skip=...`` (the arguments are checked).

    Args:
        requester: Sends the requests.
        path: The listing's path, already percent-encoded.
        query: The filters, already checked and formatted (``_filters.to_query``).
        take: The page size (checked: 1 to :data:`MAX_TAKE`), or ``None`` for the server's.
        skip: The offset of the first page (checked: at least 0).
        concurrency: Pages fetched at once after the first (checked: at least 1).
        operation: The listing operation (from ``_operations``).
        decode_items: Decodes a page's ``data``.

    Raises:
        InvalidArgumentError: ``take``, ``skip`` or ``concurrency`` is out of range.
    """
    if take is not None:
        check_int("take", take, minimum=1, maximum=MAX_TAKE)
        query = (*query, ("take", str(take)))
    check_int("skip", skip, minimum=0)
    check_int("concurrency", concurrency, minimum=1)
    base = tuple(query)

    async def fetch(offset: int) -> Page[T]:
        def decode_envelope(envelope: JSONObject) -> Page[T]:
            return decode_page(
                envelope, skip=offset, take=take, decode_items=decode_items, fetch=fetch
            )

        return await requester.request(
            operation,
            path,
            query=(*base, ("skip", str(offset))) if offset else base,
            decode=decode_envelope,
        )

    return Pager(fetch, skip=skip, concurrency=concurrency)

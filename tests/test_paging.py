"""Paging: one page when awaited, every item when iterated, concurrent pages in order.

Most tests drive the real ``Bookings``/``Organizations`` resources through a ``FakeRequester``
(no HTTP) answering like the server's offset pagination (``Listing``), so that offsets, the
number of requests, the pages in flight and cancellations can be observed exactly. The last
tests walk the in-memory emulator over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import tracemalloc
import weakref
from typing import Any

import pytest
from _endpoint_helpers import (
    Call,
    FakeRequester,
    Listing,
    booking_json,
    page_envelope,
    pagination_json,
)

from calbookings_async import (
    Booking,
    BookingListStatus,
    CalBookings,
    DecodeError,
    NotFoundError,
    Page,
    Pager,
    SortOrder,
)
from calbookings_async._bookings import Bookings
from calbookings_async._errors import AnswerMismatch
from calbookings_async._organizations import Organizations
from calbookings_async.testing import CalEmulator


def bookings(listing: Any) -> tuple[Bookings, FakeRequester]:
    requester = FakeRequester(listing)
    return Bookings(requester), requester


def record_loop_errors() -> list[dict[str, Any]]:
    """Record what the event loop reports to its exception handler from now on.

    "Task was destroyed but it is pending!" and "Task exception was never retrieved" go there,
    not to the warnings machinery, so ``filterwarnings = error`` would not catch them.
    """
    errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, context: errors.append(context))
    return errors


async def settle() -> None:
    """Let scheduled callbacks (generator finalisers, cancellations) run, then collect."""
    for _ in range(5):
        await asyncio.sleep(0)
    gc.collect()
    for _ in range(5):
        await asyncio.sleep(0)


def other_tasks() -> set[asyncio.Task[Any]]:
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


# --- one page ------------------------------------------------------------------------------------


async def test_awaiting_the_pager_fetches_one_page() -> None:
    listing = Listing(12)
    resource, requester = bookings(listing)
    page = await resource.list(take=5, status=BookingListStatus.UPCOMING)
    assert isinstance(page, Page)
    assert [b.uid for b in page.items] == [listing.uid(i) for i in range(5)]
    assert [b.uid for b in page] == [b.uid for b in page.items]
    assert len(page) == 5
    assert page.skip == 0
    assert page.has_next_page
    assert page.next_skip == 5
    assert page.pagination.total_items == 12
    assert page.pagination.total_pages == 3
    assert len(requester.calls) == 1
    call = requester.calls[0]
    assert call.method == "GET"
    assert call.path == "/v2/bookings"
    assert call.query == (("status", "upcoming"), ("take", "5"))  # exact order; skip 0 unsent
    assert call.idempotent is True
    assert call.operation == "bookings.list"


async def test_a_pager_sends_nothing_until_used() -> None:
    resource, requester = bookings(Listing(3))
    pager = resource.list(take=2)
    assert isinstance(pager, Pager)
    assert requester.calls == []
    del pager
    gc.collect()  # no "coroutine was never awaited" either (filterwarnings = error)


async def test_next_page_follows_the_offsets_and_ends_with_none() -> None:
    listing = Listing(5)
    resource, requester = bookings(listing)
    page: Page[Booking] | None = await resource.list(take=2, skip=1)
    seen: list[str] = []
    while page is not None:
        seen.extend(b.uid for b in page)
        page = await page.next_page()
    assert seen == [listing.uid(i) for i in range(1, 5)]
    assert listing.skips == [1, 3]
    assert [c.query for c in requester.calls] == [
        (("take", "2"), ("skip", "1")),
        (("take", "2"), ("skip", "3")),
    ]


# --- walking every page --------------------------------------------------------------------------


async def test_iterating_walks_every_page_in_order() -> None:
    listing = Listing(7)
    resource, requester = bookings(listing)
    uids = [b.uid async for b in resource.list(take=3, sort_start=SortOrder.ASC)]
    assert uids == [listing.uid(i) for i in range(7)]
    assert listing.skips == [0, 3, 6]
    assert [c.query_dict.get("skip") for c in requester.calls] == [None, "3", "6"]
    assert all(c.query_dict["sortStart"] == "asc" for c in requester.calls)


async def test_iterating_from_a_skip_with_the_server_default_page_size() -> None:
    listing = Listing(250, default_take=100)
    resource, _ = bookings(listing)
    uids = [b.uid async for b in resource.list(skip=20)]
    assert uids == [listing.uid(i) for i in range(20, 250)]
    assert listing.skips == [20, 120, 220]


async def test_an_exact_multiple_of_the_page_size_needs_no_extra_request() -> None:
    listing = Listing(6)
    resource, _ = bookings(listing)
    assert len([b async for b in resource.list(take=3)]) == 6
    assert listing.skips == [0, 3]


async def test_an_empty_result_is_one_request() -> None:
    listing = Listing(0)
    resource, _ = bookings(listing)
    assert [b async for b in resource.list(take=10)] == []
    assert listing.skips == [0]


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_an_empty_page_stops_the_walk_even_if_it_claims_more(concurrency: int) -> None:
    # A server (or a race) answering "hasNextPage: true" with no items must not loop forever.
    def respond(call: Call) -> dict[str, Any]:
        skip = int(call.query_dict.get("skip", 0))
        if skip == 0:
            return page_envelope([booking_json("a"), booking_json("b")], total=10, take=2, skip=0)
        pagination = pagination_json(10, 2, skip)
        return {"status": "success", "data": [], "pagination": pagination}

    resource, requester = bookings(respond)
    uids = [b.uid async for b in resource.list(take=2, concurrency=concurrency)]
    assert uids == ["a", "b"]
    await settle()
    assert requester.in_flight == 0
    assert not other_tasks()


async def test_zero_returned_items_stops_the_walk() -> None:
    def respond(call: Call) -> dict[str, Any]:
        pagination = {**pagination_json(10, 2, 0), "returnedItems": 0}
        return {"status": "success", "data": [booking_json()], "pagination": pagination}

    resource, requester = bookings(respond)
    assert len([b async for b in resource.list(take=2)]) == 1
    assert len(requester.calls) == 1


async def test_pages_yields_pages() -> None:
    listing = Listing(5)
    resource, _ = bookings(listing)
    pages = [page async for page in resource.list(take=2).pages()]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [p.skip for p in pages] == [0, 2, 4]
    assert [p.has_next_page for p in pages] == [True, True, False]


async def test_a_pager_can_be_walked_twice() -> None:
    listing = Listing(3)
    resource, _ = bookings(listing)
    pager = resource.list(take=2)
    assert [b.uid async for b in pager] == [b.uid async for b in pager]
    assert listing.skips == [0, 2, 0, 2]


async def test_a_bad_page_raises_decode_error_naming_pagination() -> None:
    def respond(call: Call) -> dict[str, Any]:
        return {"status": "success", "data": [booking_json()], "pagination": {"totalItems": "1"}}

    resource, _ = bookings(respond)
    with pytest.raises(DecodeError) as raised:
        await resource.list()
    assert raised.value.path.startswith("$.pagination")


async def test_an_item_that_is_not_a_booking_is_named_by_index() -> None:
    def respond(call: Call) -> dict[str, Any]:
        return page_envelope([booking_json(), {"id": "x"}], total=2, take=2, skip=0)

    resource, _ = bookings(respond)
    with pytest.raises(DecodeError) as raised:
        await resource.list()
    assert raised.value.path.startswith("$.data[1]")


# --- a page must be the one asked for ----------------------------------------------------------


def answered_with(envelope: dict[str, Any]) -> Bookings:
    resource, _ = bookings(lambda call: envelope)
    return resource


@pytest.mark.parametrize(
    ("list_kwargs", "envelope", "problem"),
    [
        (
            {"take": 5},
            page_envelope([booking_json()], total=12, take=100, skip=0),
            "itemsPerPage is 100 but take=5 was sent",
        ),
        (
            {"take": 5},
            page_envelope([booking_json()], total=12, take=5, skip=5),
            "hasPreviousPage is True for skip=0",
        ),
        (
            {"take": 5, "skip": 5},
            page_envelope([booking_json()], total=12, take=5, skip=0),
            "hasPreviousPage is False for skip=5",
        ),
        (
            {"take": 5, "skip": 5},
            page_envelope([booking_json()], total=12, take=5, skip=10),
            "currentPage is 3, page 2 was asked for",
        ),
        (
            {"take": 2},
            page_envelope(
                [booking_json("a"), booking_json("b"), booking_json("c")], total=9, take=2, skip=0
            ),
            "3 items on a page of 2",
        ),
    ],
    ids=["page-size", "not-the-first-page", "the-first-page", "another-page", "too-many-items"],
)
async def test_a_page_that_is_not_the_one_asked_for_is_refused(
    list_kwargs: dict[str, Any], envelope: dict[str, Any], problem: str
) -> None:
    with pytest.raises(AnswerMismatch) as raised:
        await answered_with(envelope).list(**list_kwargs)
    assert raised.value.path == "$.pagination"
    assert raised.value.reason == f"another page than the one asked for: {problem}"


async def test_an_answer_that_is_not_a_page_is_refused() -> None:
    envelope = {"status": "success", "data": booking_json(), "pagination": pagination_json(1, 5, 0)}
    with pytest.raises(AnswerMismatch) as raised:
        await answered_with(envelope).list(take=5)
    assert (raised.value.path, raised.value.reason) == (
        "$.data",
        "expected the page's array, got a dict value",
    )


async def test_a_skip_past_the_end_is_described_as_the_server_clamps_it() -> None:
    # The server clamps skip to the total (API-NOTES §9): skip=50 of 12 reads as skip=12.
    envelope = page_envelope([], total=12, take=5, skip=50)
    page = await answered_with(envelope).list(take=5, skip=50)
    assert page.items == []
    assert page.pagination.current_page == 3


async def test_a_swapped_page_in_a_concurrent_walk_is_refused() -> None:
    # The answer meant for skip=20 arrives for skip=10 (the walk fetches both at once).
    listing = Listing(50)

    def respond(call: Call) -> Any:
        if call.query_dict.get("skip") == "10":
            return page_envelope([booking_json("x")], total=50, take=10, skip=20)
        return listing(call)

    resource, _ = bookings(respond)
    with pytest.raises(AnswerMismatch) as raised:
        [b async for b in resource.list(take=10, concurrency=3)]
    assert "currentPage is 3, page 2 was asked for" in raised.value.reason
    await settle()
    assert not other_tasks()


# --- mistakes a listing explains -----------------------------------------------------------------


async def test_a_sync_for_over_a_listing_says_to_use_async_for() -> None:
    resource, requester = bookings(Listing(3))
    with pytest.raises(TypeError) as raised:
        for _booking in resource.list():  # type: ignore[attr-defined]
            pass
    assert str(raised.value) == (
        "a listing is asynchronous: iterate it with 'async for' "
        "('async for booking in cal.bookings.list(...)'), or 'await' it for one page"
    )
    assert requester.calls == []


@pytest.mark.parametrize("name", ["items", "pagination", "has_next_page", "next_page", "skip"])
async def test_a_forgotten_await_on_a_listing_says_to_await_it(name: str) -> None:
    resource, requester = bookings(Listing(3))
    with pytest.raises(AttributeError) as raised:
        getattr(resource.list(), name)
    assert str(raised.value) == (
        f"'Pager' object has no attribute {name!r}: a listing must be awaited for a page "
        f"('page = await cal.bookings.list(...)', then 'page.{name}'), "
        "or iterated with 'async for'"
    )
    assert raised.value.name == name
    assert requester.calls == []


async def test_other_missing_attributes_of_a_listing_are_plain_attribute_errors() -> None:
    resource, _ = bookings(Listing(3))
    pager = resource.list()
    with pytest.raises(AttributeError) as raised:
        pager.uid  # type: ignore[attr-defined]  # noqa: B018
    assert str(raised.value) == "'Pager' object has no attribute 'uid'"
    assert not hasattr(pager, "__deepcopy__")  # copy and pickle probe like this
    assert [b.uid async for b in pager] == [Listing(3).uid(i) for i in range(3)]


# --- concurrent pages ----------------------------------------------------------------------------


async def test_concurrent_pages_come_in_order_with_bounded_prefetch() -> None:
    rng = random.Random(3)
    delays = {skip: rng.random() / 200 for skip in range(0, 1000, 10)}
    listing = Listing(1000, delay=lambda skip: delays[skip])
    resource, requester = bookings(listing)
    uids = [b.uid async for b in resource.list(take=10, concurrency=4)]
    assert uids == [listing.uid(i) for i in range(1000)]
    assert sorted(listing.skips) == list(range(0, 1000, 10))  # each page exactly once
    assert listing.skips[0] == 0
    assert requester.max_in_flight == 4
    await settle()
    assert not other_tasks()


async def test_the_first_page_is_fetched_alone() -> None:
    in_flight_at_start: list[int] = []
    listing = Listing(30)

    async def respond(call: Call) -> dict[str, Any]:
        in_flight_at_start.append(requester.in_flight)
        return await listing(call)

    resource = Bookings(requester := FakeRequester(respond))
    assert len([b async for b in resource.list(take=10, concurrency=8)]) == 30
    assert in_flight_at_start[0] == 1


async def test_concurrency_never_runs_ahead_of_a_slow_consumer() -> None:
    listing = Listing(200)
    resource, requester = bookings(listing)
    pages = resource.list(take=10, concurrency=3).pages()
    first = await anext(pages)
    assert first.skip == 0
    await asyncio.sleep(0.01)  # the consumer dawdles: at most 3 pages are fetched ahead
    assert len(listing.skips) == 1 + 3
    second = await anext(pages)
    assert second.skip == 10
    await asyncio.sleep(0.01)
    assert len(listing.skips) == 1 + 4
    await pages.aclose()
    assert requester.in_flight == 0


async def test_a_growing_total_is_followed() -> None:
    # The total grows from 25 to 45 while walking: the later pages carry the new total.
    def respond(call: Call) -> dict[str, Any]:
        skip = int(call.query_dict.get("skip", 0))
        total = 25 if skip == 0 else 45
        items = [booking_json(f"u{i}", i + 1) for i in range(skip, min(skip + 10, total))]
        return page_envelope(items, total=total, take=10, skip=skip)

    resource, _ = bookings(respond)
    uids = [b.uid async for b in resource.list(take=10, concurrency=2)]
    assert uids == [f"u{i}" for i in range(45)]


async def test_a_shrinking_total_stops_and_cancels_the_fetches_ahead() -> None:
    slow = asyncio.Event()

    async def respond(call: Call) -> dict[str, Any]:
        skip = int(call.query_dict.get("skip", 0))
        if skip >= 20:
            await slow.wait()  # never set: these must be cancelled
        total = 100 if skip == 0 else 15
        items = [booking_json(f"u{i}", i + 1) for i in range(skip, min(skip + 10, total))]
        return page_envelope(items, total=total, take=10, skip=skip)

    errors = record_loop_errors()
    resource, requester = bookings(respond)
    uids = [b.uid async for b in resource.list(take=10, concurrency=4)]
    assert uids == [f"u{i}" for i in range(15)]
    assert requester.cancelled == 3  # the pages at 20, 30 and 40
    assert requester.in_flight == 0
    await settle()
    assert not other_tasks()
    assert errors == []


async def test_breaking_out_early_cancels_outstanding_fetches() -> None:
    gate = asyncio.Event()
    listing = Listing(1000)

    async def respond(call: Call) -> dict[str, Any]:
        if call.query_dict.get("skip"):
            await gate.wait()  # later pages hang until cancelled
        return await listing(call)

    errors = record_loop_errors()
    resource, requester = bookings(respond)
    count = 0
    async for _booking in resource.list(take=100, concurrency=5):
        count += 1
        if count == 3:
            await asyncio.sleep(0)  # let the fetches ahead start
            break
    await settle()
    assert requester.max_in_flight == 5
    assert requester.cancelled == 5
    assert requester.in_flight == 0
    assert not other_tasks()
    assert errors == []


async def test_closing_the_pages_explicitly_cancels_at_once() -> None:
    gate = asyncio.Event()
    listing = Listing(1000)

    async def respond(call: Call) -> dict[str, Any]:
        if call.query_dict.get("skip"):
            await gate.wait()
        return await listing(call)

    resource, requester = bookings(respond)
    async with contextlib.aclosing(resource.list(take=100, concurrency=3).pages()) as pages:
        async for page in pages:
            assert page.skip == 0
            await asyncio.sleep(0)
            break
    # No settling needed: aclose() waited for the cancelled fetches.
    assert requester.cancelled == 3
    assert requester.in_flight == 0


async def test_a_failing_page_raises_in_order_and_cancels_the_rest() -> None:
    gate = asyncio.Event()
    error = NotFoundError(status_code=404, message="gone")

    async def respond(call: Call) -> dict[str, Any]:
        skip = int(call.query_dict.get("skip", 0))
        if skip >= 30:
            await gate.wait()
        return await Listing(100, fail_at=20, error=error)(call)

    errors = record_loop_errors()
    resource, requester = bookings(respond)
    uids: list[str] = []

    async def consume() -> None:
        async for booking in resource.list(take=10, concurrency=4):
            uids.append(booking.uid)

    with pytest.raises(NotFoundError):
        await consume()
    assert uids == [f"b{i:06d}" for i in range(20)]  # everything before the failed page
    await settle()
    assert requester.in_flight == 0
    assert not other_tasks()
    assert errors == []  # the failure was retrieved, nothing was left pending


async def test_a_failure_ahead_of_the_consumer_is_not_lost_when_it_stops_first() -> None:
    # Page 30 fails while the consumer is still on page 0 and then stops: nothing leaks.
    error = NotFoundError(status_code=404, message="gone")
    listing = Listing(100, fail_at=30, error=error)
    errors = record_loop_errors()
    resource, requester = bookings(listing)
    async for _booking in resource.list(take=10, concurrency=4):
        await asyncio.sleep(0.01)  # long enough for the pages ahead to finish or fail
        break
    await settle()
    assert requester.in_flight == 0
    assert errors == []


async def test_cancelling_the_consumer_cancels_the_fetches() -> None:
    gate = asyncio.Event()
    listing = Listing(1000)

    async def respond(call: Call) -> dict[str, Any]:
        if call.query_dict.get("skip") == "300":
            await gate.wait()
        return await listing(call)

    errors = record_loop_errors()
    resource, requester = bookings(respond)
    seen: list[str] = []
    three_pages = asyncio.Event()

    async def consume() -> None:
        async for booking in resource.list(take=100, concurrency=3):
            seen.append(booking.uid)
            if len(seen) == 300:
                three_pages.set()

    task = asyncio.create_task(consume())
    await three_pages.wait()
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await settle()
    assert len(seen) == 300
    assert requester.in_flight == 0
    assert not other_tasks()
    assert errors == []


# --- memory --------------------------------------------------------------------------------------


def generated_listing(total: int) -> Any:
    template = booking_json()

    def respond(call: Call) -> dict[str, Any]:
        take = int(call.query_dict["take"])
        skip = int(call.query_dict.get("skip", 0))
        items = [
            {**template, "uid": f"u{i}", "id": i + 1} for i in range(skip, min(skip + take, total))
        ]
        return page_envelope(items, total=total, take=take, skip=skip)

    return respond


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_streaming_100000_bookings_retains_no_past_page(concurrency: int) -> None:
    resource, _ = bookings(generated_listing(100_000))
    firsts: list[weakref.ref[Booking]] = []  # the first booking of every page
    most_alive = 0
    count = 0
    async for booking in resource.list(take=250, concurrency=concurrency):
        if count % 250 == 0:
            firsts.append(weakref.ref(booking))
            most_alive = max(most_alive, sum(ref() is not None for ref in firsts[-12:]))
        count += 1
    del booking
    await settle()  # a finished fetch task can sit in the loop's queue for one more turn
    assert count == 100_000
    # While walking: only the page being consumed (and, concurrently, the pages fetched ahead)
    # are alive. After the walk: nothing is.
    assert most_alive <= 1 + (concurrency if concurrency > 1 else 0) + 1
    assert sum(ref() is not None for ref in firsts) == 0


async def test_memory_does_not_grow_with_the_number_of_bookings_streamed() -> None:
    async def peak_streaming(total: int) -> int:
        resource, _ = bookings(generated_listing(total))
        gc.collect()
        tracemalloc.start()
        try:
            async for _booking in resource.list(take=250):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small = await peak_streaming(2_000)
    large = await peak_streaming(12_000)
    # Six times the bookings, about the same peak: a page or two, never the whole result.
    assert large < small * 1.5, (small, large)
    assert large < 8 * 1024 * 1024


# --- organizations page the same way --------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda orgs: orgs.bookings(4, take=3, user_ids=[7]), "/v2/organizations/4/bookings"),
        (lambda orgs: orgs.team_bookings(4, 5, take=3), "/v2/organizations/4/teams/5/bookings"),
        (lambda orgs: orgs.user_bookings(4, 6, take=3), "/v2/organizations/4/users/6/bookings"),
    ],
    ids=["org", "team", "user"],
)
async def test_organization_listings_page_the_same_way(make: Any, path: str) -> None:
    listing = Listing(8)
    requester = FakeRequester(listing)
    pager = make(Organizations(requester))
    assert [b.uid async for b in pager] == [listing.uid(i) for i in range(8)]
    assert listing.skips == [0, 3, 6]
    assert {c.path for c in requester.calls} == {path}
    assert all(c.idempotent for c in requester.calls)
    page = await make(Organizations(requester))
    assert len(page) == 3


# --- against the emulator over HTTP --------------------------------------------------------------


async def test_walking_the_emulator_sequentially_and_concurrently_agrees() -> None:
    async with CalEmulator(seed=11, rate_limit=None) as emulator:
        summary = emulator.seed(bookings=1000)
        async with CalBookings(api_key=emulator.api_key, base_url=emulator.base_url) as cal:
            sequential = [
                b.uid async for b in cal.bookings.list(take=97, sort_created=SortOrder.ASC)
            ]
            concurrent = [
                b.uid
                async for b in cal.bookings.list(take=97, sort_created=SortOrder.ASC, concurrency=4)
            ]
            first = await cal.bookings.list(take=97)
            org_first = await cal.organizations.bookings(1, take=250)
            org = [b.uid async for b in cal.organizations.bookings(1, take=250, concurrency=2)]
    assert len(sequential) == 1000
    assert set(sequential) == set(summary.booking_uids)
    assert concurrent == sequential
    assert first.pagination.total_items == 1000
    assert first.pagination.total_pages == 11
    assert len(org) == len(set(org)) == org_first.pagination.total_items
    assert set(org) <= set(sequential)

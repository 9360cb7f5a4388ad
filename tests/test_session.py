"""The session through the transport seam: one call, its attempts, its outcome, its options.

Every test drives a real ``CalBookings`` over ``calbookings_async.testing.MockTransport``: the
handler sees each ``RawRequest`` the session hands the transport and answers it, so what is
checked is what the SDK sends and what it makes of the answer, with no socket in between.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from _helpers import (
    ACCESS_TOKEN,
    API_KEY,
    NEW_ACCESS_TOKEN,
    Internals,
    error_envelope,
    seed_envelope,
)

from calbookings_async import (
    APIStatusError,
    BadRequestError,
    CalBookings,
    ClientClosedError,
    CreateBookingAttendee,
    CreateBookingInput,
    InvalidArgumentError,
    RawRequest,
    RawResponse,
    RequestTimeout,
    RetryAttempt,
    RetryPolicy,
    ServerError,
    Timeout,
    TokenExpiredError,
    TransportError,
)
from calbookings_async._errors import AnswerMismatch
from calbookings_async._operations import OPERATIONS
from calbookings_async.testing import MockTransport, json_response

UID = "booking_uid_123"
SEED = seed_envelope()
OTHER = {**SEED, "data": {**SEED["data"], "uid": "someone_elses_booking"}}


def ok(request: RawRequest) -> RawResponse:
    """The seed booking; for a create, the booking it asked for."""
    if request.url.endswith("/v2/bookings") and request.body:
        asked = orjson.loads(request.body)
        data = dict(SEED["data"], uid="new_booking_uid", start=asked["start"])
        data["attendees"] = [dict(SEED["data"]["attendees"][0], email=asked["attendee"]["email"])]
        return json_response(201, {"status": "success", "data": data})
    return json_response(200, SEED)


def client(handler: Any, **options: Any) -> tuple[CalBookings, MockTransport]:
    transport = MockTransport(handler)
    options.setdefault("pacing", False)
    return CalBookings(api_key=API_KEY, transport=transport, **options), transport


def script(*answers: RawResponse | BaseException) -> Callable[[RawRequest], RawResponse]:
    """A handler giving ``answers`` in turn (raising the exceptions), then the seed forever."""
    queue = list(answers)

    def handler(request: RawRequest) -> RawResponse:
        if not queue:
            return ok(request)
        answer = queue.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return handler


def dropped(request_sent: bool) -> TransportError:
    return TransportError("the connection failed", request_sent=request_sent)


def create_input() -> CreateBookingInput:
    from datetime import datetime, timedelta, timezone

    return CreateBookingInput(
        start=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3),
        event_type_id=1,
        attendee=CreateBookingAttendee(
            name="Ann Example", email="ann@example.com", time_zone="Europe/Paris"
        ),
    )


# --- what is sent ---------------------------------------------------------------------------------


async def test_each_request_says_its_operation_version_and_connection_kind() -> None:
    cal, transport = client(ok)
    async with cal:
        await cal.bookings.decline(UID, reason="r")
        await cal.bookings.create(create_input())
    decline, create = transport.requests
    assert decline.method == "POST"
    assert decline.url == f"https://api.cal.com/v2/bookings/{UID}/decline"
    assert decline.headers["cal-api-version"] == "2024-08-13"
    assert decline.headers["Authorization"] == f"Bearer {API_KEY}"
    assert decline.fresh_connection is False  # safe to repeat: the checked pool
    assert create.fresh_connection is True  # unsafe: never on a connection that sat idle
    assert decline.request_id
    assert decline.headers["X-Request-Id"] == decline.request_id
    assert API_KEY not in repr(decline)


async def test_a_request_keeps_its_id_across_retries() -> None:
    cal, transport = client(script(json_response(503, error_envelope(503))))
    async with cal:
        await cal.bookings.decline(UID)
    first, second = transport.requests
    assert first.request_id == second.request_id


# --- the outcome of a failed call, decided once ------------------------------------------------


async def test_a_success_status_with_the_error_envelope_may_have_been_applied() -> None:
    cal, _ = client(script(json_response(200, error_envelope(400, "not pending"))))
    async with cal:
        with pytest.raises(APIStatusError) as caught:
            await cal.bookings.decline(UID)
    assert caught.value.status_code == 200
    assert caught.value.may_have_been_applied is True
    assert "may have applied the request" in str(caught.value)


async def test_a_request_that_never_left_is_retried_even_for_an_unsafe_write() -> None:
    cal, transport = client(script(dropped(False), dropped(False)))
    async with cal:
        await cal.bookings.create(create_input())
    assert len(transport.requests) == 3


async def test_an_unsafe_write_that_may_have_left_is_not_retried() -> None:
    cal, transport = client(script(dropped(True)))
    async with cal:
        with pytest.raises(TransportError) as caught:
            await cal.bookings.create(create_input())
    assert len(transport.requests) == 1
    assert caught.value.may_have_been_applied is True
    assert caught.value.attempts == 1


async def test_an_earlier_uncertain_attempt_is_said_on_the_final_error() -> None:
    cal, _ = client(script(dropped(True), json_response(400, error_envelope(400, "cancelled"))))
    async with cal:
        with pytest.raises(BadRequestError) as caught:
            await cal.bookings.cancel(UID)
    error = caught.value
    assert error.may_have_been_applied is True
    assert error.earlier_attempt_may_have_applied is True
    assert error.attempts == 2
    assert "an earlier attempt may have been applied" in str(error)


async def test_a_definite_refusal_is_not_applied() -> None:
    cal, _ = client(script(json_response(404, error_envelope(404))))
    async with cal:
        with pytest.raises(APIStatusError) as caught:
            await cal.bookings.decline(UID)
    assert caught.value.may_have_been_applied is False
    assert "read the state back" not in str(caught.value)


# --- answers that belong to another request ------------------------------------------------------


def about(uid: str) -> Callable[[dict[str, Any]], str]:
    """A decoder that accepts only an answer about booking ``uid`` (as the endpoints' do)."""

    def decode(envelope: dict[str, Any]) -> str:
        if envelope["data"]["uid"] != uid:
            raise AnswerMismatch("$.data.uid", f"about {envelope['data']['uid']!r}, not {uid!r}")
        return str(envelope["data"]["uid"])

    return decode


def stale_answer(drops: list[str]) -> RawResponse:
    return RawResponse(
        200,
        "OK",
        ((b"Content-Type", b"application/json"),),
        json_response(200, OTHER).body,
        drop_connection=lambda: drops.append("dropped"),
    )


async def test_an_answer_about_another_booking_drops_the_connection_and_is_retried() -> None:
    drops: list[str] = []
    seed_uid = SEED["data"]["uid"]
    cal, transport = client(script(stale_answer(drops)))
    async with cal:
        answer = await Internals(cal).requester.request(
            OPERATIONS["bookings.get"], f"/v2/bookings/{seed_uid}", decode=about(seed_uid)
        )
    assert answer == seed_uid
    assert drops == ["dropped"]
    assert len(transport.requests) == 2


async def test_an_unsafe_write_answered_for_another_request_is_uncertain() -> None:
    drops: list[str] = []
    cal, transport = client(script(stale_answer(drops)))
    async with cal:
        with pytest.raises(TransportError) as caught:
            await Internals(cal).requester.request(
                OPERATIONS["bookings.reschedule"], "/v2/bookings/x/reschedule", decode=about("x")
            )
    assert "the answer belongs to another request" in str(caught.value)
    assert caught.value.may_have_been_applied is True
    assert drops == ["dropped"]
    assert len(transport.requests) == 1


# --- time ---------------------------------------------------------------------------------------


async def test_a_call_ends_by_its_deadline_whatever_the_transport_does() -> None:
    never = asyncio.Event()

    async def stalls(request: RawRequest) -> RawResponse:
        await never.wait()
        raise AssertionError("unreachable")

    cal, _ = client(stalls, retry=RetryPolicy(deadline=0.05))
    async with cal:
        with pytest.raises(RequestTimeout) as caught:
            await cal.bookings.decline(UID)
    assert caught.value.may_have_been_applied is True  # it was with the transport
    assert "deadline (0.05 s)" in str(caught.value)
    assert caught.value.__context__ is None


async def test_a_deadline_passed_before_sending_was_not_applied() -> None:
    class Holding:
        """A pacer that never lets a request go."""

        def bind(self, binding: Any) -> None:
            pass

        def try_acquire(self, route: str) -> Any:
            return None

        async def acquire(self, route: str) -> Any:
            await asyncio.Event().wait()

        def release(self, *args: Any) -> None:
            raise AssertionError("nothing was acquired")

    cal, transport = client(ok, pacing=Holding(), retry=RetryPolicy(deadline=0.05))
    async with cal:
        with pytest.raises(RequestTimeout) as caught:
            await cal.bookings.create(create_input())
    assert caught.value.may_have_been_applied is False
    assert "waited for the rate limit or a free slot" in str(caught.value)
    assert transport.requests == []


async def test_a_deadline_does_not_swallow_a_cancellation_of_the_caller() -> None:
    started = asyncio.Event()

    async def stalls(request: RawRequest) -> RawResponse:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    cal, _ = client(stalls, retry=RetryPolicy(deadline=30))
    async with cal:
        task = asyncio.ensure_future(cal.bookings.decline(UID))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_attempt_timeout_is_cut_to_what_is_left_of_the_deadline() -> None:
    cal, transport = client(ok, timeout=30, retry=RetryPolicy(deadline=5))
    async with cal:
        await cal.bookings.decline(UID)
    (request,) = transport.requests
    assert request.total_timeout is not None
    assert 4.0 < request.total_timeout <= 5.0


# --- options: resolved once, inherited by every view -------------------------------------------


@pytest.mark.parametrize(
    "chain",
    [
        lambda cal: cal.with_options(timeout=5).with_options(retry_unsafe=True),
        lambda cal: cal.with_options(retry_unsafe=True).with_options(timeout=5),
        lambda cal: (
            cal.with_options(timeout=5)
            .with_options(retry=RetryPolicy(attempts=2))
            .with_options(retry_unsafe=True)
        ),
        lambda cal: (
            cal.with_options(retry_unsafe=True)
            .with_options(retry=RetryPolicy(attempts=2, retry_unsafe=True))
            .with_options(timeout=5)
        ),
    ],
)
async def test_views_inherit_what_they_do_not_set(chain: Callable[[CalBookings], Any]) -> None:
    cal, transport = client(ok, timeout=30, retry=RetryPolicy(deadline=None))
    async with cal:
        view = chain(cal)
        assert view.options.timeout == Timeout(total=5)
        assert view.options.retry.retry_unsafe is True
        await view.bookings.decline(UID)
        await cal.bookings.decline(UID)
    through_view, through_client = transport.requests
    assert through_view.total_timeout == 5
    assert through_client.total_timeout == 30
    assert cal.options.retry.retry_unsafe is False


# --- auth -------------------------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_once_as_a_step_of_the_loop() -> None:
    calls: list[int] = []

    async def refresh() -> str:
        calls.append(1)
        return NEW_ACCESS_TOKEN

    transport = MockTransport(script(json_response(498, error_envelope(498))))
    async with CalBookings(
        access_token=ACCESS_TOKEN, refresh_token=refresh, transport=transport, pacing=False
    ) as cal:
        await cal.bookings.decline(UID)
    first, second = transport.requests
    assert first.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert second.headers["Authorization"] == f"Bearer {NEW_ACCESS_TOKEN}"
    assert calls == [1]


async def test_an_expired_token_without_refresh_says_how_to_refresh() -> None:
    transport = MockTransport(script(json_response(498, error_envelope(498, "expired"))))
    async with CalBookings(access_token=ACCESS_TOKEN, transport=transport, pacing=False) as cal:
        with pytest.raises(TokenExpiredError) as caught:
            await cal.bookings.decline(UID)
    assert "pass refresh_token=" in str(caught.value)
    assert len(transport.requests) == 1


# --- hooks and logs -----------------------------------------------------------------------------


async def test_retries_are_announced_to_the_hooks(caplog: pytest.LogCaptureFixture) -> None:
    records: list[RetryAttempt] = []
    cal, _ = client(
        script(json_response(503, error_envelope(503)), json_response(502, error_envelope(502))),
        retry=RetryPolicy(attempts=3, on_retry=records.append, jitter=0),
    )
    caplog.set_level(logging.INFO, "calbookings_async")
    async with cal:
        await cal.bookings.decline(UID)
    assert [(r.attempt, type(r.error)) for r in records] == [(1, ServerError), (2, ServerError)]
    assert [r.wait for r in records] == [0.5, 1.0]
    assert sum("retrying in" in m for m in caplog.messages) == 2


# --- the client's lifetime ------------------------------------------------------------------------


async def test_a_closed_client_says_it_cannot_be_reopened() -> None:
    cal = CalBookings(api_key=API_KEY, base_url="http://127.0.0.1:9", pacing=False)
    await cal.aclose()
    with pytest.raises(ClientClosedError) as caught:
        await cal.bookings.decline(UID)
    assert "a closed client cannot be reopened: create a new CalBookings" in str(caught.value)
    assert caught.value.may_have_been_applied is False


@pytest.fixture
def resource_warnings() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


async def test_a_client_never_closed_warns_in_the_sdks_words(
    resource_warnings: list[warnings.WarningMessage],
) -> None:
    from _helpers import ScriptedServer

    server = ScriptedServer()
    await server.start()
    try:
        cal = CalBookings(api_key=API_KEY, base_url=server.url, pacing=False)
        await cal.bookings.decline(UID)
        del cal
        gc.collect()
    finally:
        await server.close()
    texts = [str(w.message) for w in resource_warnings if w.category is ResourceWarning]
    assert texts == [
        "CalBookings was never closed: use `async with CalBookings(...) as cal:` or "
        "`await cal.aclose()` when done, so its connections are released"
    ]


# --- configuration from the environment ---------------------------------------------------------


def test_the_base_url_comes_from_cal_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAL_BASE_URL", "http://127.0.0.1:8787/")
    assert CalBookings(api_key=API_KEY).base_url == "http://127.0.0.1:8787"
    given = CalBookings(api_key=API_KEY, base_url="https://cal.example")
    assert given.base_url == "https://cal.example"


def test_a_bad_cal_base_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAL_BASE_URL", "http://cal.example")
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY)
    assert caught.value.argument == "CAL_BASE_URL"


def test_cal_log_sends_the_sdks_lines_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("calbookings_async")
    handlers, level = list(logger.handlers), logger.level
    monkeypatch.setenv("CAL_LOG", "DEBUG")
    try:
        CalBookings(api_key=API_KEY)
        CalBookings(api_key=API_KEY)  # set up once, not once per client
        added = [h for h in logger.handlers if h not in handlers]
        assert len(added) == 1
        assert logger.level == logging.DEBUG
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


def test_a_bad_cal_log_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAL_LOG", "loud")
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY)
    assert str(caught.value) == "CAL_LOG: expected debug or info, got 'loud'"


def test_a_transport_and_a_session_together_are_refused() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY, transport=MockTransport(ok), session=object())  # type: ignore[arg-type]
    assert caught.value.argument == "session"


def test_something_that_is_not_a_transport_is_refused() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY, transport=object())  # type: ignore[arg-type]
    assert caught.value.argument == "transport"


async def test_an_error_about_another_path_is_an_answer_to_another_request() -> None:
    drops: list[str] = []
    body = json_response(400, error_envelope(400, "no", path="/v2/bookings/other/cancel")).body
    stale = RawResponse(400, "Bad Request", (), body, drop_connection=lambda: drops.append("x"))
    cal, transport = client(script(stale, json_response(400, error_envelope(400, "no"))))
    async with cal:
        with pytest.raises(BadRequestError) as caught:
            await cal.with_options(settle=False).bookings.cancel(UID)  # the session alone
    assert len(transport.requests) == 2  # the first answer was not this request's: sent again
    assert drops == ["x"]
    assert caught.value.may_have_been_applied is True  # the first attempt's fate is unknown
    assert caught.value.earlier_attempt_may_have_applied is True


async def test_an_error_naming_this_path_is_this_requests_answer() -> None:
    path = f"/v2/bookings/{UID}/cancel"
    cal, transport = client(script(json_response(400, error_envelope(400, "no", path=path))))
    async with cal:
        with pytest.raises(BadRequestError) as caught:
            await cal.bookings.cancel(UID)
    assert len(transport.requests) == 1
    assert caught.value.may_have_been_applied is False
    assert caught.value.answered_path == path


async def test_a_closed_client_leaves_no_deadline_timer_behind() -> None:
    # A pending timer would hold the client's deadline watch until the deadline, minutes on.
    def watches() -> int:
        gc.collect()
        return sum(type(o).__name__ == "DeadlineWatch" for o in gc.get_objects())

    before = watches()
    transport = MockTransport(lambda request: json_response(200, seed_envelope()))
    cal = CalBookings(api_key="cal_test_key", transport=transport, retry=RetryPolicy(deadline=600))
    await cal.bookings.decline("booking_uid_123")
    assert watches() == before + 1
    await cal.aclose()
    del cal
    assert watches() == before

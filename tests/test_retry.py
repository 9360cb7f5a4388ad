"""The retry table row by row, waits, deadlines, hooks and token refresh, against a real server.

"Safe" is ``cal.bookings.decline`` (a state-setting write, declared idempotent); "unsafe" is a
``POST /v2/bookings`` sent through the same requester with ``idempotent=False``, standing in
for create. Request counts are what the loopback server received.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

import attrs
import pytest
import tenacity
from _helpers import (
    ACCESS_TOKEN,
    NEW_ACCESS_TOKEN,
    FakeClock,
    Internals,
    Reply,
    ScriptedServer,
    unused_port,
    wait_until,
)

from calbookings_async import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    CalBookings,
    CalError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeout,
    RetryAttempt,
    RetryPolicy,
    ServerError,
    TokenExpiredError,
    TransportError,
    UnprocessableEntityError,
    _types,
)
from calbookings_async._retry import RETRY_TABLE, Failure, classify, compute_wait, should_retry
from calbookings_async._types import Operation, Safety

MakeClient = Callable[..., CalBookings]

ATTEMPTS = 3
POLICY = RetryPolicy(attempts=ATTEMPTS, wait_initial=0.5, wait_max=8.0, jitter=0.25)


async def safe_call(cal: CalBookings) -> Any:
    return await cal.bookings.decline("booking_uid_123", reason="Host has to take another call")


async def unsafe_call(cal: CalBookings) -> Any:
    # The requester behind cal.bookings (the session, or a with_options view of it).
    requester = Internals(cal).requester
    return await requester.request(
        Operation(
            name="test.create",
            method="POST",
            path="/v2/bookings",
            safety=Safety.UNSAFE,
            api_version="2024-08-13",
        ),
        "/v2/bookings",
        body={"eventTypeId": 1, "start": "2026-01-12T10:00:00.000Z"},
        decode=lambda envelope: envelope,
    )


CALLS = {"safe": safe_call, "unsafe": unsafe_call}


@pytest.fixture
def waits_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let retries wait again (on a FakeClock nothing really sleeps)."""
    monkeypatch.setattr(_types, "_WAITS", [True])


@pytest.fixture
def tenacity_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every ``tenacity.AsyncRetrying`` the SDK builds."""
    built: list[int] = []
    original = tenacity.AsyncRetrying

    class Counting(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tenacity, "AsyncRetrying", Counting)
    return built


# --- the table itself -----------------------------------------------------------------------


def test_table_covers_every_failure_kind_for_both_kinds_of_operation() -> None:
    assert set(RETRY_TABLE) == {(kind, safe) for kind in Failure for safe in (True, False)}


@pytest.mark.parametrize(
    ("kind", "safe", "retried"),
    [
        (Failure.CONNECT, True, True),
        (Failure.CONNECT, False, True),
        (Failure.RATE_LIMITED, True, True),
        (Failure.RATE_LIMITED, False, True),
        (Failure.SERVER_ERROR, True, True),
        (Failure.SERVER_ERROR, False, False),
        (Failure.TIMEOUT, True, True),
        (Failure.TIMEOUT, False, False),
        (Failure.SENT_NO_RESPONSE, True, True),
        (Failure.SENT_NO_RESPONSE, False, False),
        (Failure.FINAL, True, False),
        (Failure.FINAL, False, False),
    ],
)
def test_table_row(kind: Failure, safe: bool, retried: bool) -> None:
    assert RETRY_TABLE[(kind, safe)] is retried


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (TransportError("refused"), Failure.CONNECT),
        (RequestTimeout("connect timed out"), Failure.CONNECT),
        (TransportError("dropped", request_sent=True), Failure.SENT_NO_RESPONSE),
        (RequestTimeout("read timed out", request_sent=True), Failure.TIMEOUT),
        (RateLimitError(status_code=429, message="slow down"), Failure.RATE_LIMITED),
        (APIStatusError(status_code=408, message="x"), Failure.SERVER_ERROR),
        (ServerError(status_code=500, message="x"), Failure.SERVER_ERROR),
        (ServerError(status_code=501, message="x"), Failure.FINAL),
        (TokenExpiredError(status_code=498, message="x"), Failure.FINAL),
        (NotFoundError(status_code=404, message="x"), Failure.FINAL),
        (InvalidArgumentError("x", "y"), Failure.FINAL),
        (ValueError("not ours"), Failure.FINAL),
    ],
)
def test_classify(error: BaseException, kind: Failure) -> None:
    assert classify(error) is kind


def test_retry_unsafe_only_widens_to_what_safe_operations_get() -> None:
    opted_in = RetryPolicy(retry_unsafe=True)
    server_error = ServerError(status_code=502, message="x")
    assert not should_retry(server_error, idempotent=False, policy=RetryPolicy())
    assert should_retry(server_error, idempotent=False, policy=opted_in)
    final = BadRequestError(status_code=400, message="x")
    assert not should_retry(final, idempotent=False, policy=opted_in)


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(wait_initial=0.5, wait_max=3.0, jitter=0.0)
    rng = random.Random(1)
    error = ServerError(status_code=500, message="x")
    assert [compute_wait(error, n, policy, rng) for n in (1, 2, 3, 4, 5)] == [
        0.5,
        1.0,
        2.0,
        3.0,
        3.0,
    ]


def test_jitter_stays_within_the_policy() -> None:
    policy = RetryPolicy(wait_initial=1.0, jitter=0.25)
    rng = random.Random(7)
    error = ServerError(status_code=500, message="x")
    waits = [compute_wait(error, 1, policy, rng) for _ in range(200)]
    assert all(1.0 <= wait <= 1.25 for wait in waits)
    assert len(set(waits)) > 1


# --- status x safe/unsafe, end to end ------------------------------------------------------

NEVER, SAFE_ONLY, ALWAYS = "never", "safe only", "always"

STATUS_ROWS = [
    (400, BadRequestError, NEVER),
    (401, AuthenticationError, NEVER),
    (403, PermissionDeniedError, NEVER),
    (404, NotFoundError, NEVER),
    (408, APIStatusError, SAFE_ONLY),
    (409, ConflictError, NEVER),
    (422, UnprocessableEntityError, NEVER),
    (429, RateLimitError, ALWAYS),
    (498, TokenExpiredError, NEVER),  # no refresh_token callback
    (500, ServerError, SAFE_ONLY),
    (502, ServerError, SAFE_ONLY),
    (503, ServerError, SAFE_ONLY),
    (504, ServerError, SAFE_ONLY),
]


@pytest.mark.parametrize("operation", ["safe", "unsafe"])
@pytest.mark.parametrize(("status", "error_class", "rule"), STATUS_ROWS)
async def test_status_row(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    status: int,
    error_class: type[APIStatusError],
    rule: str,
    operation: str,
) -> None:
    loopback_server.default = Reply(status=status)
    cal = make_client(retry=POLICY)
    retried = rule == ALWAYS or (rule == SAFE_ONLY and operation == "safe")
    expected = ATTEMPTS if retried else 1

    with pytest.raises(APIStatusError) as caught:
        await CALLS[operation](cal)

    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert loopback_server.count == expected
    assert caught.value.attempts == expected


@pytest.mark.parametrize("operation", ["safe", "unsafe"])
@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
async def test_retryable_status_then_success(
    loopback_server: ScriptedServer, make_client: MakeClient, status: int, operation: str
) -> None:
    loopback_server.script(Reply(status=status))
    cal = make_client(retry=POLICY)
    if operation == "unsafe" and status != 429:
        with pytest.raises(APIStatusError):
            await CALLS[operation](cal)
        assert loopback_server.count == 1
    else:
        await CALLS[operation](cal)
        assert loopback_server.count == 2


# --- transport failures x safe/unsafe -----------------------------------------------------


@pytest.mark.parametrize("operation", ["safe", "unsafe"])
async def test_refused_connection_is_retried_for_every_operation(
    make_client: MakeClient, operation: str
) -> None:
    records: list[RetryAttempt] = []
    cal = make_client(
        base_url=f"http://127.0.0.1:{unused_port()}",
        retry=attrs.evolve(POLICY, on_retry=records.append),
    )
    with pytest.raises(TransportError) as caught:
        await CALLS[operation](cal)
    assert type(caught.value) is TransportError
    assert caught.value.may_have_been_applied is False
    assert caught.value.attempts == ATTEMPTS
    assert [record.attempt for record in records] == [1, 2]


@pytest.mark.parametrize(("operation", "expected"), [("safe", ATTEMPTS), ("unsafe", 1)])
async def test_connection_dropped_before_the_response(
    loopback_server: ScriptedServer, make_client: MakeClient, operation: str, expected: int
) -> None:
    loopback_server.default = Reply(drop=True)
    cal = make_client(retry=POLICY)
    with pytest.raises(TransportError) as caught:
        await CALLS[operation](cal)
    assert type(caught.value) is TransportError
    assert caught.value.may_have_been_applied is True
    assert loopback_server.count == expected
    assert caught.value.attempts == expected


@pytest.mark.parametrize(("operation", "expected"), [("safe", ATTEMPTS), ("unsafe", 1)])
async def test_timeout(
    loopback_server: ScriptedServer, make_client: MakeClient, operation: str, expected: int
) -> None:
    loopback_server.default = Reply(delay=10)
    cal = make_client(retry=POLICY, timeout=0.3)
    with pytest.raises(RequestTimeout) as caught:
        await CALLS[operation](cal)
    assert caught.value.may_have_been_applied is True
    assert loopback_server.count == expected


@pytest.mark.parametrize("operation", ["safe", "unsafe"])
async def test_dropped_then_success(
    loopback_server: ScriptedServer, make_client: MakeClient, operation: str
) -> None:
    loopback_server.script(Reply(drop=True))
    cal = make_client(retry=POLICY)
    if operation == "safe":
        await safe_call(cal)
        assert loopback_server.count == 2
    else:
        with pytest.raises(TransportError):
            await unsafe_call(cal)
        assert loopback_server.count == 1


@pytest.mark.parametrize(
    ("first", "last", "last_class"),
    [
        (Reply(drop=True), Reply(status=400), BadRequestError),  # retried cancel: "already done"
        (Reply(status=500), Reply(status=400), BadRequestError),
        (Reply(status=502), Reply(status=404), NotFoundError),
        (Reply(delay=10), Reply(status=409), ConflictError),
        (Reply(drop=True), Reply(status=429, headers={"Retry-After": "999"}), RateLimitError),
    ],
)
async def test_an_earlier_attempt_that_may_have_been_applied_marks_the_final_error(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    first: Reply,
    last: Reply,
    last_class: type[CalError],
) -> None:
    # The first attempt may have been applied; the retry is refused before running. The caller
    # must not read the refusal as "nothing happened".
    loopback_server.script(first, last)
    cal = make_client(retry=POLICY, timeout=0.3)
    with pytest.raises(CalError) as caught:
        await safe_call(cal)
    assert type(caught.value) is last_class
    assert caught.value.may_have_been_applied is True
    assert caught.value.attempts == 2
    assert "an earlier attempt may have been applied" in str(caught.value)
    assert loopback_server.count == 2


async def test_a_final_error_after_attempts_that_cannot_have_been_applied_stays_definite(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.script(Reply(status=503), Reply(status=400))
    cal = make_client(retry=POLICY)
    with pytest.raises(BadRequestError) as caught:
        await safe_call(cal)
    assert caught.value.may_have_been_applied is False
    assert caught.value.attempts == 2
    assert "earlier attempt" not in str(caught.value)


# --- opting unsafe operations in -------------------------------------------------------------


async def test_retry_unsafe_in_the_policy(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=502)
    cal = make_client(retry=attrs.evolve(POLICY, retry_unsafe=True))
    with pytest.raises(ServerError) as caught:
        await unsafe_call(cal)
    assert loopback_server.count == ATTEMPTS
    assert caught.value.attempts == ATTEMPTS


async def test_retry_unsafe_in_the_policy_covers_dropped_connections(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.script(Reply(drop=True), Reply(drop=True))
    cal = make_client(retry=attrs.evolve(POLICY, retry_unsafe=True))
    await unsafe_call(cal)
    assert loopback_server.count == 3


async def test_retry_unsafe_through_with_options(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=500)
    cal = make_client(retry=POLICY)
    view = cal.with_options(retry_unsafe=True)

    with pytest.raises(ServerError):
        await unsafe_call(view)
    assert loopback_server.count == ATTEMPTS

    # The client the view came from keeps its own policy.
    with pytest.raises(ServerError):
        await unsafe_call(cal)
    assert loopback_server.count == ATTEMPTS + 1


async def test_per_call_options_override_the_client_policy(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=503)
    cal = make_client(retry=POLICY)
    view = cal.with_options(retry=RetryPolicy(attempts=2, retry_unsafe=True))
    with pytest.raises(ServerError):
        await Internals(view).requester.request(
            Operation(
                name="test.create",
                method="POST",
                path="/v2/bookings",
                safety=Safety.UNSAFE,
                api_version="2024-08-13",
            ),
            "/v2/bookings",
            body={},
            decode=lambda envelope: envelope,
        )
    assert loopback_server.count == 2


# --- attempts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("attempts", [1, 2, 5])
async def test_attempts_cap(
    loopback_server: ScriptedServer, make_client: MakeClient, attempts: int
) -> None:
    loopback_server.default = Reply(status=503)
    cal = make_client(retry=attrs.evolve(POLICY, attempts=attempts))
    with pytest.raises(ServerError) as caught:
        await safe_call(cal)
    assert loopback_server.count == attempts
    assert caught.value.attempts == attempts


async def test_disabled_policy_makes_one_request(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=429, headers={"X-RateLimit-Reset-Default": "1"})
    cal = make_client(retry=RetryPolicy.disabled())
    with pytest.raises(RateLimitError):
        await safe_call(cal)
    assert loopback_server.count == 1


async def test_a_final_error_after_retries_stops_them(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.script(Reply(status=503), Reply(status=404))
    cal = make_client(retry=attrs.evolve(POLICY, attempts=5))
    with pytest.raises(NotFoundError) as caught:
        await safe_call(cal)
    assert loopback_server.count == 2
    assert caught.value.attempts == 2


# --- hooks -----------------------------------------------------------------------------------


async def test_on_retry_hooks_get_a_frozen_record_of_each_failed_attempt(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
) -> None:
    loopback_server.script(Reply(status=500), Reply(status=502))
    first: list[RetryAttempt] = []
    second: list[RetryAttempt] = []
    policy = RetryPolicy(
        attempts=3, wait_initial=0.5, wait_max=8.0, jitter=0.25, on_retry=[first.append]
    )
    policy = attrs.evolve(policy, on_retry=(first.append, second.append))
    cal = make_client(retry=policy, clock=fake_clock)

    await safe_call(cal)

    assert loopback_server.count == 3
    assert first == second
    assert [record.attempt for record in first] == [1, 2]
    assert [record.error.status_code for record in first] == [500, 502]  # type: ignore[attr-defined]
    assert all(type(record.error) is ServerError for record in first)
    assert 0.5 <= first[0].wait <= 0.75
    assert 1.0 <= first[1].wait <= 1.25
    assert fake_clock.sleeps == [first[0].wait, first[1].wait]
    assert first[0].elapsed == 0.0
    assert first[1].elapsed == pytest.approx(first[0].wait)
    for record in first:
        assert record.operation == "bookings.decline"
        assert record.method == "POST"
        assert record.url == f"{loopback_server.url}/v2/bookings/booking_uid_123/decline"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first[0].attempt = 9  # type: ignore[misc]


async def test_a_hook_that_raises_is_ignored(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    loopback_server.script(Reply(status=503), Reply(status=503))
    seen: list[int] = []

    def broken(record: RetryAttempt) -> None:
        raise RuntimeError("hook bug")

    cal = make_client(
        retry=attrs.evolve(POLICY, on_retry=(broken, lambda record: seen.append(record.attempt)))
    )
    with caplog.at_level(logging.INFO, logger="calbookings_async"):
        await safe_call(cal)

    assert loopback_server.count == 3
    assert seen == [1, 2]
    hook_errors = [r for r in caplog.records if "on_retry hook raised" in r.getMessage()]
    assert len(hook_errors) == 2
    assert hook_errors[0].levelno == logging.ERROR


async def test_a_hook_returning_a_coroutine_is_closed_and_ignored(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    loopback_server.script(Reply(status=503))
    awaited: list[int] = []

    async def report(record: RetryAttempt) -> None:
        awaited.append(record.attempt)

    cal = make_client(retry=attrs.evolve(POLICY, on_retry=lambda record: report(record)))
    with caplog.at_level(logging.INFO, logger="calbookings_async"):
        await safe_call(cal)
    assert loopback_server.count == 2
    assert awaited == []
    assert any("returned a coroutine" in r.getMessage() for r in caplog.records)


async def test_retries_are_logged_at_info(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    loopback_server.script(Reply(status=500))
    cal = make_client(retry=POLICY)
    with caplog.at_level(logging.INFO, logger="calbookings_async"):
        await safe_call(cal)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(lines) == 1
    assert lines[0].startswith("bookings.decline: HTTP 500")
    assert "attempt 2 of 3" in lines[0]


# --- 429 waits ------------------------------------------------------------------------------


async def test_429_waits_the_largest_reset_of_any_name_in_any_case(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
) -> None:
    loopback_server.script(
        Reply(
            status=429,
            headers={
                "X-RateLimit-Limit-Default": "120",
                "X-RateLimit-Remaining-Default": "0",
                "X-RateLimit-Reset-Default": "5",
                "x-ratelimit-reset-long": "12",
                "X-RATELIMIT-RESET-SHORT": "3",
            },
        )
    )
    records: list[RetryAttempt] = []
    cal = make_client(retry=attrs.evolve(POLICY, on_retry=records.append), clock=fake_clock)

    await safe_call(cal)

    assert loopback_server.count == 2
    assert len(fake_clock.sleeps) == 1
    assert 12.0 <= fake_clock.sleeps[0] <= 12.0 + POLICY.jitter
    assert records[0].wait == fake_clock.sleeps[0]
    assert isinstance(records[0].error, RateLimitError)
    assert records[0].error.retry_after == 12.0


async def test_429_wait_without_jitter_is_exactly_the_reset(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
) -> None:
    loopback_server.script(Reply(status=429, headers={"X-RateLimit-Reset-Default": "7"}))
    cal = make_client(retry=attrs.evolve(POLICY, jitter=0.0), clock=fake_clock)
    await unsafe_call(cal)
    assert fake_clock.sleeps == [7.0]
    assert loopback_server.count == 2


async def test_429_with_retry_after(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
) -> None:
    loopback_server.script(Reply(status=429, headers={"Retry-After": "9"}))
    cal = make_client(retry=POLICY, clock=fake_clock)
    await safe_call(cal)
    assert len(fake_clock.sleeps) == 1
    assert 9.0 <= fake_clock.sleeps[0] <= 9.0 + POLICY.jitter


async def test_429_without_any_hint_backs_off(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
) -> None:
    loopback_server.script(Reply(status=429), Reply(status=429))
    cal = make_client(retry=attrs.evolve(POLICY, jitter=0.0), clock=fake_clock)
    await safe_call(cal)
    assert fake_clock.sleeps == [0.5, 1.0]


async def test_waits_disabled_skips_the_wait_but_reports_it(
    loopback_server: ScriptedServer, make_client: MakeClient, fake_clock: FakeClock
) -> None:
    loopback_server.script(Reply(status=429, headers={"X-RateLimit-Reset-Default": "30"}))
    records: list[RetryAttempt] = []
    cal = make_client(retry=attrs.evolve(POLICY, on_retry=records.append), clock=fake_clock)
    await safe_call(cal)
    assert fake_clock.sleeps == [0.0]
    assert records[0].wait >= 30.0


@pytest.mark.parametrize("operation", ["safe", "unsafe"])
async def test_429_reset_beyond_rate_limit_wait_max_raises_at_once(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
    operation: str,
) -> None:
    loopback_server.default = Reply(status=429, headers={"X-RateLimit-Reset-Default": "100"})
    records: list[RetryAttempt] = []
    cal = make_client(
        retry=attrs.evolve(POLICY, rate_limit_wait_max=65.0, on_retry=records.append),
        clock=fake_clock,
    )
    with pytest.raises(RateLimitError) as caught:
        await CALLS[operation](cal)
    assert caught.value.retry_after == 100.0
    assert loopback_server.count == 1
    assert caught.value.attempts == 1
    assert fake_clock.sleeps == []
    assert records == []


async def test_429_reset_beyond_the_deadline_raises_at_once(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
) -> None:
    loopback_server.default = Reply(status=429, headers={"X-RateLimit-Reset-Default": "40"})
    cal = make_client(
        retry=attrs.evolve(POLICY, deadline=30.0, rate_limit_wait_max=65.0), clock=fake_clock
    )
    with pytest.raises(RateLimitError) as caught:
        await safe_call(cal)
    assert caught.value.retry_after == 40.0
    assert loopback_server.count == 1
    assert fake_clock.sleeps == []


async def test_429_reset_at_the_cap_is_waited_whatever_the_jitter(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
) -> None:
    # The cap is on the server's reset; the jitter added to it must not flip the decision.
    for _ in range(10):
        loopback_server.script(
            Reply(status=429, headers={"X-RateLimit-Reset-Default": "10"}), Reply()
        )
    cal = make_client(
        retry=attrs.evolve(POLICY, attempts=2, jitter=1.0, rate_limit_wait_max=10.0),
        clock=fake_clock,
    )
    for _ in range(10):
        await safe_call(cal)
    assert loopback_server.count == 20
    assert len(fake_clock.sleeps) == 10


# --- the deadline ---------------------------------------------------------------------------


async def test_deadline_stops_the_retries(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    waits_on: None,
) -> None:
    loopback_server.default = Reply(status=503)
    policy = RetryPolicy(attempts=10, wait_initial=1.0, wait_max=8.0, jitter=0.0, deadline=10.0)
    cal = make_client(retry=policy, clock=fake_clock)
    with pytest.raises(ServerError) as caught:
        await safe_call(cal)
    # Waits 1, 2, 4 end at t=7; the next wait (8) would end past the deadline: stop there.
    assert fake_clock.sleeps == [1.0, 2.0, 4.0]
    assert loopback_server.count == 4
    assert caught.value.attempts == 4


async def test_deadline_bounds_the_attempt_timeout(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(delay=10)
    cal = make_client(timeout=30.0, retry=attrs.evolve(POLICY, deadline=0.3))
    with pytest.raises(RequestTimeout):
        await safe_call(cal)
    assert loopback_server.count == 1


# --- 498 and the refresh_token callback -----------------------------------------------------


def expire_old_token(server: ScriptedServer, token: str = ACCESS_TOKEN) -> None:
    """Answer 498 to the old token and 200 to any other."""

    def respond(seen: Any) -> Reply:
        if seen.headers.get("Authorization") == f"Bearer {token}":
            return Reply(status=498)
        return Reply()

    server.responder = respond


class Refresher:
    def __init__(self, token: str = NEW_ACCESS_TOKEN, error: Exception | None = None) -> None:
        self.calls = 0
        self.token = token
        self.error = error
        self.hold: Callable[[], bool] | None = None

    async def __call__(self) -> str:
        self.calls += 1
        if self.hold is not None:
            await wait_until(self.hold)
        if self.error is not None:
            raise self.error
        return self.token


async def test_498_refreshes_once_and_repeats_with_the_new_token(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    expire_old_token(loopback_server)
    refresh = Refresher()
    cal = make_client(access_token=ACCESS_TOKEN, refresh_token=refresh, retry=POLICY)

    await safe_call(cal)
    await safe_call(cal)

    assert refresh.calls == 1
    assert [seen.headers["Authorization"] for seen in loopback_server.requests] == [
        f"Bearer {ACCESS_TOKEN}",
        f"Bearer {NEW_ACCESS_TOKEN}",
        f"Bearer {NEW_ACCESS_TOKEN}",
    ]


async def test_498_after_a_refresh_is_final(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=498)
    refresh = Refresher()
    cal = make_client(access_token=ACCESS_TOKEN, refresh_token=refresh, retry=POLICY)
    with pytest.raises(TokenExpiredError):
        await safe_call(cal)
    assert refresh.calls == 1
    assert loopback_server.count == 2


async def test_498_refresh_for_an_unsafe_operation(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    expire_old_token(loopback_server)
    refresh = Refresher()
    cal = make_client(access_token=ACCESS_TOKEN, refresh_token=refresh, retry=POLICY)
    await unsafe_call(cal)
    assert refresh.calls == 1
    assert loopback_server.count == 2


async def test_concurrent_498s_share_one_refresh(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    expire_old_token(loopback_server)
    refresh = Refresher()
    # Hold the refresh until every call has seen its 498.
    refresh.hold = lambda: loopback_server.count >= 10
    cal = make_client(access_token=ACCESS_TOKEN, refresh_token=refresh, retry=POLICY)

    await asyncio.gather(*(safe_call(cal) for _ in range(10)))

    assert refresh.calls == 1
    tokens = [seen.headers["Authorization"] for seen in loopback_server.requests]
    assert tokens.count(f"Bearer {ACCESS_TOKEN}") == 10
    assert tokens.count(f"Bearer {NEW_ACCESS_TOKEN}") == 10


async def test_refresh_failure_raises_token_expired_with_the_cause(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=498)
    problem = ConnectionError("the refresh endpoint is down")
    refresh = Refresher(error=problem)
    cal = make_client(access_token=ACCESS_TOKEN, refresh_token=refresh, retry=POLICY)
    with pytest.raises(TokenExpiredError) as caught:
        await safe_call(cal)
    assert caught.value.__cause__ is problem
    assert caught.value.status_code == 498
    assert refresh.calls == 1
    assert loopback_server.count == 1


async def test_concurrent_498s_share_one_failed_refresh(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=498)
    problem = ConnectionError("the refresh endpoint is down")
    refresh = Refresher(error=problem)
    refresh.hold = lambda: loopback_server.count >= 5
    cal = make_client(access_token=ACCESS_TOKEN, refresh_token=refresh, retry=POLICY)

    results = await asyncio.gather(*(safe_call(cal) for _ in range(5)), return_exceptions=True)

    assert all(isinstance(result, TokenExpiredError) for result in results)
    assert all(result.__cause__ is problem for result in results)  # type: ignore[union-attr]
    assert refresh.calls == 1
    assert loopback_server.count == 5

    # A later call tries the callback again.
    refresh.hold = None
    with pytest.raises(TokenExpiredError):
        await safe_call(cal)
    assert refresh.calls == 2


@pytest.mark.parametrize("token", ["", "   ", None])
async def test_refresh_returning_no_token_is_a_token_expired_error(
    loopback_server: ScriptedServer, make_client: MakeClient, token: Any
) -> None:
    loopback_server.default = Reply(status=498)
    refresh = Refresher(token=token)
    cal = make_client(access_token=ACCESS_TOKEN, refresh_token=refresh, retry=POLICY)
    with pytest.raises(TokenExpiredError) as caught:
        await safe_call(cal)
    assert isinstance(caught.value.__cause__, InvalidArgumentError)
    assert caught.value.__cause__.argument == "refresh_token"
    assert loopback_server.count == 1


# --- the first attempt stays out of tenacity -------------------------------------------------


async def test_a_successful_call_builds_no_retrying_object(
    loopback_server: ScriptedServer, make_client: MakeClient, tenacity_builds: list[int]
) -> None:
    cal = make_client(retry=POLICY)
    await safe_call(cal)
    await unsafe_call(cal)
    assert tenacity_builds == []


async def test_a_final_error_builds_no_retrying_object(
    loopback_server: ScriptedServer, make_client: MakeClient, tenacity_builds: list[int]
) -> None:
    loopback_server.default = Reply(status=404)
    cal = make_client(retry=POLICY)
    with pytest.raises(NotFoundError):
        await safe_call(cal)
    assert tenacity_builds == []


async def test_a_retried_call_builds_one_retrying_object(
    loopback_server: ScriptedServer, make_client: MakeClient, tenacity_builds: list[int]
) -> None:
    loopback_server.script(Reply(status=503), Reply(status=503))
    cal = make_client(retry=POLICY)
    await safe_call(cal)
    assert tenacity_builds == [1]
    assert loopback_server.count == 3


async def test_a_498_refresh_builds_no_retrying_object(
    loopback_server: ScriptedServer, make_client: MakeClient, tenacity_builds: list[int]
) -> None:
    expire_old_token(loopback_server)
    cal = make_client(access_token=ACCESS_TOKEN, refresh_token=Refresher(), retry=POLICY)
    await safe_call(cal)
    assert tenacity_builds == []


async def test_caller_never_sees_a_tenacity_type(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=500)
    cal = make_client(retry=POLICY)
    with pytest.raises(CalError) as caught:
        await safe_call(cal)
    assert not isinstance(caught.value, tenacity.RetryError)
    assert type(caught.value) is ServerError


async def test_cancelling_a_call_during_retries_propagates(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.script(Reply(status=503))
    loopback_server.default = Reply(delay=10)
    cal = make_client(retry=POLICY)
    task = asyncio.ensure_future(safe_call(cal))
    await wait_until(lambda: loopback_server.count == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cal.requests_in_flight == 0  # every slot free again
    assert cal.requests_queued == 0

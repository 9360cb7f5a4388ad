"""CalBookings construction rules, with_options views, and the concurrency bound."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from _helpers import (
    ACCESS_TOKEN,
    API_KEY,
    CLIENT_ID,
    SECRET_KEY,
    Internals,
    Reply,
    ScriptedServer,
    wait_until,
)

from calbookings_async import (
    CalBookings,
    InvalidArgumentError,
    RetryPolicy,
    ServerError,
    Timeout,
)
from calbookings_async._slots import ConcurrencySlots

MakeClient = Callable[..., CalBookings]


async def refresh() -> str:
    return "new-token"


def refused(argument: str, **kwargs: Any) -> InvalidArgumentError:
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(**kwargs)
    assert caught.value.argument == argument, caught.value
    assert str(caught.value).startswith(f"{argument}: ")
    return caught.value


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAL_API_KEY", raising=False)


# --- credentials ----------------------------------------------------------------------------


def test_missing_credential() -> None:
    error = refused("api_key")
    assert "CAL_API_KEY" in str(error)


async def test_api_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, loopback_server: ScriptedServer
) -> None:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    async with CalBookings(base_url=loopback_server.url) as cal:
        await cal.bookings.decline("u1")
    assert loopback_server.requests[0].headers["Authorization"] == f"Bearer {API_KEY}"


def test_environment_key_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAL_API_KEY", "not-a-cal-key")
    refused("api_key")


async def test_explicit_credentials_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, loopback_server: ScriptedServer
) -> None:
    monkeypatch.setenv("CAL_API_KEY", "cal_from_the_environment")
    async with CalBookings(access_token=ACCESS_TOKEN, base_url=loopback_server.url) as cal:
        await cal.bookings.decline("u1")
    async with CalBookings(api_key=API_KEY, base_url=loopback_server.url) as cal:
        await cal.bookings.decline("u1")
    assert [seen.headers["Authorization"] for seen in loopback_server.requests] == [
        f"Bearer {ACCESS_TOKEN}",
        f"Bearer {API_KEY}",
    ]


@pytest.mark.parametrize("key", ["live_abc", "CAL_abc", "Bearer cal_abc", "cal", "xcal_abc"])
def test_api_key_must_start_with_cal(key: str) -> None:
    error = refused("api_key", api_key=key)
    assert "cal_" in str(error)


@pytest.mark.parametrize(
    ("key", "problem"),
    [("", "empty"), ("   ", "empty"), ("cal_abc\r\n", "control"), (" cal_abc", "whitespace")],
)
def test_api_key_shape(key: str, problem: str) -> None:
    error = refused("api_key", api_key=key)
    assert problem in str(error)


def test_api_key_must_be_a_string() -> None:
    refused("api_key", api_key=b"cal_abc")


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"api_key": API_KEY, "access_token": ACCESS_TOKEN}, "access_token"),
        ({"api_key": API_KEY, "client_id": CLIENT_ID, "secret_key": SECRET_KEY}, "client_id"),
        (
            {"access_token": ACCESS_TOKEN, "client_id": CLIENT_ID, "secret_key": SECRET_KEY},
            "client_id",
        ),
        ({"api_key": API_KEY, "secret_key": SECRET_KEY}, "client_id"),
        ({"access_token": ACCESS_TOKEN, "secret_key": SECRET_KEY}, "client_id"),
    ],
)
def test_two_kinds_of_credentials(kwargs: dict[str, Any], argument: str) -> None:
    refused(argument, **kwargs)


def test_client_id_without_secret_key() -> None:
    refused("secret_key", client_id=CLIENT_ID)


def test_secret_key_without_client_id() -> None:
    refused("client_id", secret_key=SECRET_KEY)


@pytest.mark.parametrize("client_id", ["", "a\nb", 42])
def test_bad_client_id(client_id: Any) -> None:
    refused("client_id", client_id=client_id, secret_key=SECRET_KEY)


@pytest.mark.parametrize("secret", ["", "ab\r\ncd", 42])
def test_bad_secret_key(secret: Any) -> None:
    refused("secret_key", client_id=CLIENT_ID, secret_key=secret)


@pytest.mark.parametrize("token", ["", "tok\n", 3])
def test_bad_access_token(token: Any) -> None:
    refused("access_token", access_token=token)


def test_refresh_token_needs_an_access_token() -> None:
    refused("refresh_token", api_key=API_KEY, refresh_token=refresh)
    refused("refresh_token", client_id=CLIENT_ID, secret_key=SECRET_KEY, refresh_token=refresh)


def test_refresh_token_must_be_callable() -> None:
    refused("refresh_token", access_token=ACCESS_TOKEN, refresh_token="https://refresh")


async def test_each_kind_of_credential_builds() -> None:
    for kwargs in (
        {"api_key": API_KEY},
        {"access_token": ACCESS_TOKEN},
        {"access_token": ACCESS_TOKEN, "refresh_token": refresh},
        {"client_id": CLIENT_ID, "secret_key": SECRET_KEY},
    ):
        async with CalBookings(**kwargs) as cal:
            assert cal.base_url == "https://api.cal.com"


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        CalBookings(API_KEY)  # type: ignore[misc]


# --- base URL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("https://api.cal.com", "https://api.cal.com"),
        ("https://api.cal.com/", "https://api.cal.com"),
        ("https://proxy.example/cal/", "https://proxy.example/cal"),
        ("HTTPS://API.CAL.COM", "https://api.cal.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.2", "http://127.0.0.2"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://LOCALHOST", "http://localhost"),
    ],
)
async def test_accepted_base_urls(given: str, normalised: str) -> None:
    async with CalBookings(api_key=API_KEY, base_url=given) as cal:
        assert cal.base_url == normalised


@pytest.mark.parametrize(
    "url",
    [
        "http://api.cal.com",
        "http://10.0.0.1",
        "http://0.0.0.0:8080",
        "http://192.168.1.10",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://[::2]",
        "http://localhost@evil.example",
        "HTTP://api.cal.com",
    ],
)
def test_plain_http_is_refused_unless_loopback(url: str) -> None:
    error = refused("base_url", api_key=API_KEY, base_url=url)
    assert "http" in str(error)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "api.cal.com",
        "ftp://api.cal.com",
        "ws://api.cal.com",
        "https://",
        "https:///v2",
        "https://user:password@api.cal.com",
        "https://api.cal.com?x=1",
        "https://api.cal.com#frag",
        "https://api.cal.com/\n",
        "https://api.cal.com:99999",
        "https://[::1",
        "http://[::1",
        42,
    ],
)
def test_bad_base_urls(url: Any) -> None:
    refused("base_url", api_key=API_KEY, base_url=url)


def test_a_refused_base_url_does_not_echo_a_password() -> None:
    error = refused("base_url", api_key=API_KEY, base_url="https://user:hunter2@api.cal.com")
    assert "hunter2" not in str(error)


# --- timeouts, limits, policy --------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "argument"),
    [
        (0, "timeout"),
        (-1, "timeout"),
        (-0.5, "timeout"),
        (float("nan"), "timeout"),
        (float("inf"), "timeout"),
        ("30", "timeout"),
        (True, "timeout"),
    ],
)
def test_bad_timeouts(timeout: Any, argument: str) -> None:
    refused(argument, api_key=API_KEY, timeout=timeout)


@pytest.mark.parametrize(
    ("fields", "argument"),
    [
        ({"total": 0}, "timeout.total"),
        ({"total": -1}, "timeout.total"),
        ({"connect": 0}, "timeout.connect"),
        ({"connect": -2}, "timeout.connect"),
        ({"read": 0}, "timeout.read"),
        ({"read": "1"}, "timeout.read"),
    ],
)
def test_bad_timeout_fields(fields: dict[str, Any], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Timeout(**fields)
    assert caught.value.argument == argument


async def test_good_timeouts() -> None:
    for timeout in (0.1, 30, Timeout(total=None, connect=None, read=5.0)):
        async with CalBookings(api_key=API_KEY, timeout=timeout):
            pass


@pytest.mark.parametrize("value", [0, -1, 1.5, "10", True, None])
def test_bad_max_concurrency(value: Any) -> None:
    refused("max_concurrency", api_key=API_KEY, max_concurrency=value)


@pytest.mark.parametrize("value", [0, 100, 1023, "big", 2.0e6])
def test_bad_max_response_bytes(value: Any) -> None:
    refused("max_response_bytes", api_key=API_KEY, max_response_bytes=value)


@pytest.mark.parametrize(
    ("fields", "argument"),
    [
        ({"attempts": 0}, "attempts"),
        ({"attempts": -1}, "attempts"),
        ({"attempts": 2.0}, "attempts"),
        ({"attempts": True}, "attempts"),
        ({"wait_initial": -0.1}, "wait_initial"),
        ({"wait_initial": float("nan")}, "wait_initial"),
        ({"wait_max": -1}, "wait_max"),
        ({"jitter": -0.01}, "jitter"),
        ({"jitter": "0.1"}, "jitter"),
        ({"deadline": 0}, "deadline"),
        ({"deadline": -5}, "deadline"),
        ({"deadline": float("nan")}, "deadline"),
        ({"rate_limit_wait_max": -1}, "rate_limit_wait_max"),
        ({"retry_unsafe": 1}, "retry_unsafe"),
        ({"retry_unsafe": "yes"}, "retry_unsafe"),
        ({"on_retry": "print"}, "on_retry"),
        ({"on_retry": None}, "on_retry"),
        ({"on_retry": [print, 3]}, "on_retry[1]"),
    ],
)
def test_bad_retry_policy_values(fields: dict[str, Any], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        RetryPolicy(**fields)
    assert caught.value.argument == argument


async def _async_hook(record: Any) -> None:
    pass


class _AsyncCallable:
    async def __call__(self, record: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("hooks", "argument"),
    [
        (_async_hook, "on_retry"),
        ([print, _async_hook], "on_retry[1]"),
        ((_AsyncCallable(),), "on_retry[0]"),
    ],
)
def test_async_retry_hooks_are_refused(hooks: Any, argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        RetryPolicy(on_retry=hooks)
    assert caught.value.argument == argument
    assert "async" in str(caught.value)


def test_retry_must_be_a_policy() -> None:
    refused("retry", api_key=API_KEY, retry={"attempts": 3})


def test_policy_defaults_and_hooks() -> None:
    policy = RetryPolicy(on_retry=print)
    assert policy.on_retry == (print,)
    assert RetryPolicy(deadline=None).deadline is None
    assert RetryPolicy.disabled().attempts == 1


# --- with_options ------------------------------------------------------------------------------


async def test_with_options_shares_the_pool_and_state(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(headers={"X-RateLimit-Remaining-Default": "9"})
    cal = make_client()
    view = cal.with_options(timeout=5.0, retry=RetryPolicy(attempts=2))
    assert Internals(view).session is Internals(cal).session
    assert view.pacer is cal.pacer
    await view.bookings.decline("u1")
    assert cal.rate_limits["default"].remaining == 9
    assert cal.requests_sent == view.requests_sent == 1
    pool = Internals(cal).pool
    await cal.bookings.decline("u1")
    assert Internals(cal).pool is pool
    assert view.base_url == cal.base_url
    await view.aclose()
    assert cal.closed


async def test_with_options_policies(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=503)
    cal = make_client(retry=RetryPolicy(attempts=3))
    with pytest.raises(ServerError):
        await cal.with_options(retry=RetryPolicy(attempts=5)).bookings.decline("u1")
    assert loopback_server.count == 5
    with pytest.raises(ServerError):
        await cal.with_options(timeout=5.0).bookings.decline("u1")
    assert loopback_server.count == 8  # the client's own policy
    nested = cal.with_options(retry=RetryPolicy(attempts=2)).with_options(timeout=5.0)
    with pytest.raises(ServerError):
        await nested.bookings.decline("u1")
    assert loopback_server.count == 10  # the view's policy survives a second with_options


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"retry": "fast"}, "retry"),
        ({"timeout": 0}, "timeout"),
        ({"retry_unsafe": "yes"}, "retry_unsafe"),
    ],
)
async def test_with_options_checks_its_arguments(
    make_client: MakeClient, kwargs: dict[str, Any], argument: str
) -> None:
    cal = make_client()
    with pytest.raises(InvalidArgumentError) as caught:
        cal.with_options(**kwargs)
    assert caught.value.argument == argument


# --- concurrency ---------------------------------------------------------------------------


async def _run_gated(server: ScriptedServer, cal: CalBookings, calls: int, bound: int) -> None:
    server.gate = asyncio.Event()
    tasks = [asyncio.ensure_future(cal.bookings.decline(f"u{n}")) for n in range(calls)]
    await wait_until(lambda: server.in_flight == bound)
    for _ in range(20):  # give any request beyond the bound every chance to arrive
        await asyncio.sleep(0.005)
    assert server.in_flight == bound
    # What the client reports, through it and through a view, matches what the server sees.
    view = cal.with_options(timeout=5.0)
    assert cal.requests_in_flight == view.requests_in_flight == bound
    assert cal.requests_queued == view.requests_queued == calls - bound
    server.gate.set()
    await asyncio.gather(*tasks)
    assert server.max_in_flight == bound
    assert server.count == calls
    assert cal.requests_in_flight == cal.requests_queued == 0


async def test_max_concurrency_bounds_requests_in_flight(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client(max_concurrency=3)
    await _run_gated(loopback_server, cal, calls=12, bound=3)


async def test_max_concurrency_with_an_unbounded_caller_session(
    loopback_server: ScriptedServer,
) -> None:
    # The caller's pool has no connection limit: the SDK's own slots must hold the bound.
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        CalBookings(
            api_key=API_KEY, base_url=loopback_server.url, session=session, max_concurrency=4
        ) as cal,
    ):
        await _run_gated(loopback_server, cal, calls=10, bound=4)


async def test_slots_are_free_again_after_failures(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=500)
    cal = make_client(max_concurrency=2, retry=RetryPolicy(attempts=2))
    results = await asyncio.gather(
        *(cal.bookings.decline(f"u{n}") for n in range(6)), return_exceptions=True
    )
    assert all(isinstance(result, ServerError) for result in results)
    assert cal.requests_in_flight == 0  # both slots free again
    assert cal.requests_queued == 0


async def test_slots_serve_waiters_in_order() -> None:
    slots = ConcurrencySlots(1)
    assert slots.try_acquire()
    order: list[int] = []

    async def worker(n: int) -> None:
        await slots.acquire()
        order.append(n)
        await asyncio.sleep(0)
        slots.release()

    tasks = [asyncio.ensure_future(worker(n)) for n in range(5)]
    await asyncio.sleep(0)
    assert not slots.try_acquire()  # waiters are queued: no jumping the line
    slots.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert slots.free == 1


async def test_a_newcomer_cannot_take_a_slot_handed_to_a_waiter() -> None:
    slots = ConcurrencySlots(1)
    assert slots.try_acquire()
    waiter = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # handed to the waiter, which has not run yet
    assert slots.free == 0
    assert not slots.try_acquire()
    await waiter
    slots.release()
    assert slots.free == 1


async def test_a_cancelled_waiter_leaves_the_line() -> None:
    slots = ConcurrencySlots(1)
    assert slots.try_acquire()
    first = asyncio.ensure_future(slots.acquire())
    second = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    slots.release()
    await second  # the slot went past the cancelled waiter
    slots.release()
    assert slots.free == 1
    assert slots.try_acquire()


async def test_a_waiter_cancelled_during_the_handover_passes_the_slot_on() -> None:
    slots = ConcurrencySlots(1)
    assert slots.try_acquire()
    first = asyncio.ensure_future(slots.acquire())
    second = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # the slot is handed to `first`...
    first.cancel()  # ...which is cancelled before it can run
    with pytest.raises(asyncio.CancelledError):
        await first
    await second  # the slot was passed on, not leaked
    assert slots.free == 0
    slots.release()
    assert slots.free == 1


async def test_a_lone_waiter_cancelled_during_the_handover_frees_the_slot() -> None:
    slots = ConcurrencySlots(2)
    assert slots.try_acquire()
    assert slots.try_acquire()
    waiter = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    slots.release()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert slots.free == 1
    slots.release()
    assert slots.free == 2


async def test_cancelling_requests_waiting_for_a_slot_leaks_nothing(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.gate = asyncio.Event()
    cal = make_client(max_concurrency=2)
    tasks = [asyncio.ensure_future(cal.bookings.decline(f"u{n}")) for n in range(6)]
    await wait_until(lambda: loopback_server.in_flight == 2)
    for task in tasks[2:]:
        task.cancel()
    loopback_server.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in results[2:])
    assert cal.requests_in_flight == 0  # both slots free again
    assert cal.requests_queued == 0
    assert loopback_server.count == 2


# --- repr and closing ---------------------------------------------------------------------


async def test_repr(make_client: MakeClient, loopback_server: ScriptedServer) -> None:
    cal = make_client()
    assert repr(cal) == f"CalBookings(base_url={loopback_server.url!r}, credentials='api_key')"
    assert repr(cal.with_options(timeout=3.0)) == repr(cal)

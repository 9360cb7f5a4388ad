"""Credentials never show up in reprs, error texts, tracebacks or log lines.

Every test runs with each kind of credential; the secret values are distinctive strings
(``_helpers.SECRETS``) searched for in everything the SDK renders.
"""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from _helpers import (
    ACCESS_TOKEN,
    API_KEY,
    CLIENT_ID,
    NEW_ACCESS_TOKEN,
    SECRET_KEY,
    SECRETS,
    Internals,
    Reply,
    ScriptedServer,
    unused_port,
)

from calbookings_async import (
    CalBookings,
    CalError,
    InvalidArgumentError,
    RetryAttempt,
    RetryPolicy,
    TokenExpiredError,
)

MakeClient = Callable[..., CalBookings]

CREDENTIALS = {
    "api_key": {"api_key": API_KEY},
    "access_token": {"access_token": ACCESS_TOKEN},
    "client_credentials": {"client_id": CLIENT_ID, "secret_key": SECRET_KEY},
}


@pytest.fixture(params=list(CREDENTIALS))
def credentials(request: pytest.FixtureRequest) -> dict[str, str]:
    return CREDENTIALS[request.param]


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a credential leaked into: {text[:300]!r}"
    # Nor a recognisable piece of one.
    for secret in SECRETS:
        assert secret[-12:] not in text


def rendered(error: BaseException) -> Iterator[str]:
    """Every text a caller or a logging framework may produce from an error."""
    yield str(error)
    yield repr(error)
    yield "".join(traceback.format_exception(type(error), error, error.__traceback__))
    yield repr(vars(error))
    yield repr(error.args)
    yield repr(pickle.loads(pickle.dumps(error)).__dict__)
    yield from rendered_locals(error)


def rendered_locals(error: BaseException) -> Iterator[str]:
    """The locals of every frame of the SDK and of aiohttp in the error's traceback and in those
    of its causes, as Sentry, Rich or ``traceback`` with ``capture_locals`` render them. (The
    test's own frames are left out: they hold the secrets they pass in.)"""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.StackSummary.extract(
            traceback.walk_tb(current.__traceback__), capture_locals=True
        )
        for frame in frames:
            if "/tests/" not in frame.filename:
                yield f"{frame.filename}:{frame.name} {frame.locals!r}"
        current = current.__cause__ or current.__context__


def assert_clean_error(error: BaseException) -> None:
    for text in rendered(error):
        assert_no_secret(text)


def assert_clean_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "expected some log records"
    for record in caplog.records:
        assert_no_secret(record.getMessage())
        assert_no_secret(repr(record.args))
        if record.exc_info:
            assert_no_secret("".join(traceback.format_exception(*record.exc_info)))
    assert_no_secret(caplog.text)


# --- reprs ----------------------------------------------------------------------------------


async def test_reprs(credentials: dict[str, str], make_client: MakeClient) -> None:
    cal = make_client(**credentials)
    internals = Internals(cal)
    texts = [
        repr(cal),
        str(cal),
        repr(cal.with_options(retry_unsafe=True)),
        repr(internals.session),
        repr(internals.credentials),
        str(internals.credentials),
        repr(cal.bookings),
        repr(cal.options.retry),
        repr(cal.options.timeout),
    ]
    for text in texts:
        assert_no_secret(text)
    kind = "client_credentials" if "client_id" in credentials else next(iter(credentials))
    assert repr(cal).endswith(f"credentials={kind!r})")


async def test_repr_after_a_token_refresh(loopback_server: ScriptedServer) -> None:
    loopback_server.script(Reply(status=498))

    async def refresh() -> str:
        return NEW_ACCESS_TOKEN

    async with CalBookings(
        access_token=ACCESS_TOKEN, refresh_token=refresh, base_url=loopback_server.url
    ) as cal:
        await cal.bookings.decline("u1")
        assert_no_secret(repr(cal))
        assert_no_secret(repr(Internals(cal).session))
        assert_no_secret(repr(Internals(cal).credentials))
    assert loopback_server.requests[1].headers["Authorization"] == f"Bearer {NEW_ACCESS_TOKEN}"


# --- errors ---------------------------------------------------------------------------------

STATUSES = [400, 401, 403, 404, 408, 409, 418, 422, 429, 498, 500, 502, 503, 504]


@pytest.mark.parametrize("status", STATUSES)
async def test_status_errors(
    credentials: dict[str, str],
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    status: int,
) -> None:
    loopback_server.default = Reply(
        status=status,
        headers={"X-Request-Id": "rid", "X-RateLimit-Reset-Default": "3"},
    )
    cal = make_client(retry=RetryPolicy(attempts=2), **credentials)
    with pytest.raises(CalError) as caught:
        await cal.bookings.decline("u1", reason="r")
    assert_clean_error(caught.value)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"not json"),
        Reply(body=b"[]"),
        Reply(drop=True),
        Reply(truncate=True),
        Reply(delay=10),
        Reply(status=502, body=b"<html><title>Bad gateway</title></html>"),
        Reply(status=200, body={"status": "error", "error": {"message": "nope"}}),
    ],
    ids=["invalid-json", "array", "drop", "truncate", "timeout", "html", "error-envelope"],
)
async def test_transport_and_decode_errors(
    credentials: dict[str, str],
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    reply: Reply,
) -> None:
    loopback_server.default = reply
    cal = make_client(retry=RetryPolicy(attempts=2), timeout=0.2, **credentials)
    with pytest.raises(CalError) as caught:
        await cal.bookings.mark_absent("u1", host=True)
    assert_clean_error(caught.value)


async def test_refused_and_closed(credentials: dict[str, str]) -> None:
    cal = CalBookings(
        base_url=f"http://127.0.0.1:{unused_port()}",
        retry=RetryPolicy(attempts=2),
        **credentials,
    )
    with pytest.raises(CalError) as refused:
        await cal.bookings.decline("u1")
    await cal.aclose()
    with pytest.raises(CalError) as closed:
        await cal.bookings.decline("u1")
    assert_clean_error(refused.value)
    assert_clean_error(closed.value)


async def test_failed_refresh(loopback_server: ScriptedServer) -> None:
    loopback_server.default = Reply(status=498)

    async def refresh() -> str:
        return f"{NEW_ACCESS_TOKEN}\r\nX-Injected: 1"

    async with CalBookings(
        access_token=ACCESS_TOKEN, refresh_token=refresh, base_url=loopback_server.url
    ) as cal:
        with pytest.raises(TokenExpiredError) as caught:
            await cal.bookings.decline("u1")
    assert isinstance(caught.value.__cause__, InvalidArgumentError)
    assert_clean_error(caught.value)
    assert_clean_error(caught.value.__cause__)
    assert loopback_server.count == 1


# --- bad credentials are not echoed -------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_key": "sk_live_" + API_KEY},
        {"api_key": API_KEY + "\n"},
        {"api_key": " " + API_KEY},
        {"api_key": API_KEY.replace("_", "\x00", 1)},
        {"api_key": API_KEY, "access_token": ACCESS_TOKEN},
        {"access_token": ACCESS_TOKEN + "\r\n"},
        {"access_token": ACCESS_TOKEN, "client_id": CLIENT_ID, "secret_key": SECRET_KEY},
        {"client_id": CLIENT_ID, "secret_key": SECRET_KEY + "\r\n"},
        {"secret_key": SECRET_KEY},
        {"api_key": API_KEY, "refresh_token": print},
        {"api_key": API_KEY, "base_url": "http://api.cal.com"},
    ],
)
def test_invalid_argument_messages(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(**kwargs)
    assert_clean_error(caught.value)


def test_invalid_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAL_API_KEY", "sk_" + API_KEY)
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings()
    assert caught.value.argument == "api_key"
    assert_clean_error(caught.value)


# --- logs ---------------------------------------------------------------------------------


async def test_debug_logs_of_successful_failed_and_retried_requests(
    credentials: dict[str, str],
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_hook(record: RetryAttempt) -> None:
        raise RuntimeError(f"hook failed on {record.url}")

    loopback_server.script(
        Reply(headers={"X-Request-Id": "ok-1"}),
        Reply(status=503),
        Reply(drop=True),
        Reply(status=429, headers={"X-RateLimit-Reset-Default": "1"}),
        Reply(),
        Reply(status=404),
        Reply(status=502, body=b"<html>proxy</html>"),
    )
    cal = make_client(
        retry=RetryPolicy(attempts=4, on_retry=broken_hook),
        **credentials,
    )
    with caplog.at_level(logging.DEBUG):
        await cal.bookings.decline("u1", reason="r")  # success
        await cal.bookings.decline("u2")  # 503, dropped, 429, then success
        with pytest.raises(CalError):
            await cal.bookings.mark_absent("u3", host=False)  # 404
        with pytest.raises(CalError):
            await cal.with_options(retry=RetryPolicy.disabled()).bookings.decline("u4")
    messages = [record.getMessage() for record in caplog.records]
    assert any("-> 200" in message for message in messages)
    assert any("retrying in" in message for message in messages)  # the INFO retry lines
    assert any("on_retry hook raised" in message for message in messages)
    assert loopback_server.count == 7
    assert_clean_logs(caplog)


async def test_logs_of_a_token_refresh(
    loopback_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    loopback_server.script(Reply(status=498), Reply(status=500))

    async def refresh() -> str:
        return NEW_ACCESS_TOKEN

    with caplog.at_level(logging.DEBUG):
        async with CalBookings(
            access_token=ACCESS_TOKEN, refresh_token=refresh, base_url=loopback_server.url
        ) as cal:
            await cal.bookings.decline("u1")
    assert loopback_server.count == 3
    assert_clean_logs(caplog)


async def test_retry_records_hold_no_secret(
    credentials: dict[str, str], loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.script(Reply(status=500), Reply(drop=True))
    records: list[RetryAttempt] = []
    cal = make_client(retry=RetryPolicy(attempts=3, on_retry=records.append), **credentials)
    await cal.bookings.decline("u1")
    assert len(records) == 2
    for record in records:
        assert_no_secret(repr(record))
        assert_no_secret(repr(attrs.asdict(record, recurse=False)))
        assert_clean_error(record.error)

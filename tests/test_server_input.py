"""Bad input from the server or a proxy: a typed error or documented tolerance, never a crash.

Each scripted reply below is something a broken server, a proxy or a CDN can send: HTML error
pages, empty bodies, truncated or absurdly nested JSON, the wrong JSON type, a success status
with an error envelope, bodies over ``max_response_bytes``, rate-limit headers in forms nobody
documented. Every call runs under a timeout (no hang) and must end with the documented result.
Hypothesis drives the header parsers and the pacer with arbitrary reports: the pacer must never
hold a request for long, and must never refuse requests for good (an absurd ``Reset`` is not
believed).

The decoder's own property tests (any JSON in any field) live in ``tests/test_decode.py``.
"""

# ruff: noqa: E501  (the tables read best one case to a line)

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

import pytest
from _helpers import FakeClock, Reply, ScriptedServer, error_envelope, pacer_in_flight
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calbookings_async import (
    AdaptivePacer,
    APIStatusError,
    BadRequestError,
    CalBookings,
    CalError,
    DecodeError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from calbookings_async._operations import op
from calbookings_async._pacing import LONGEST_RESET
from calbookings_async._ratelimit import parse_rate_limit_headers, parse_retry_after
from calbookings_async._types import waits

MakeClient = Callable[..., CalBookings]

NESTED = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


def _html(status: int) -> Reply:
    page = (
        f"<html><head><title>{status} Bad Gateway</title><style>body{{color:red}}</style>"
        f"</head><body><h1>{status} Bad Gateway</h1><hr>cloudflare</body></html>"
    )
    return Reply(status=status, body=page, content_type="text/html")


# (reply, error class, may_have_been_applied for a write) -- None: the call succeeds.
CASES: dict[str, tuple[Reply, type[CalError], bool]] = {
    "html 502 page": (_html(502), ServerError, True),
    "html 503 page": (_html(503), ServerError, False),
    "html 400 page": (_html(400), BadRequestError, False),
    "empty 200": (Reply(status=200, body=b""), DecodeError, True),
    "empty 500": (Reply(status=500, body=b""), ServerError, True),
    "empty 404": (Reply(status=404, body=b""), APIStatusError, False),
    "truncated json 200": (Reply(status=200, body=b'{"status":"success","data":{"id":1'), DecodeError, True),
    "truncated json 400": (Reply(status=400, body=b'{"status":"error","error":{"mess'), BadRequestError, False),
    "array envelope": (Reply(status=200, body=[{"status": "success"}]), DecodeError, True),
    "array for data": (Reply(status=200, body={"status": "success", "data": [1, 2]}), DecodeError, True),
    "string for data": (Reply(status=200, body={"status": "success", "data": "ok"}), DecodeError, True),
    "null data": (Reply(status=200, body={"status": "success", "data": None}), DecodeError, True),
    "number envelope": (Reply(status=200, body=b"42"), DecodeError, True),
    "200 with error envelope": (Reply(status=200, body=error_envelope(400, "no")), APIStatusError, True),
    "nested arrays 200": (Reply(status=200, body=NESTED), DecodeError, True),
    "nested arrays 500": (Reply(status=500, body=NESTED), ServerError, True),
    "nested objects 200": (Reply(status=200, body=DEEP_OBJECT), DecodeError, True),
    "nested data": (Reply(status=200, body=b'{"status":"success","data":' + NESTED[:2000] + NESTED[-2000:] + b"}"), DecodeError, True),
    "not utf-8 200": (Reply(status=200, body=b"\xff\xfe\x00garbage"), DecodeError, True),
    "not utf-8 502": (Reply(status=502, body=b"\xff\xfe\x00garbage", content_type="text/plain"), ServerError, True),
    "header name not a token": (Reply(headers={"X-RateLimit-Reset-Ünïcode": "1"}), TransportError, True),
    "chunked truncated": (Reply(status=200, truncate=True), TransportError, True),
    "huge 200 (length)": (Reply(status=200, body=b"[" + b"1," * 700_000 + b"1]"), DecodeError, True),
    "huge 200 (chunked)": (Reply(status=200, body=b"[" + b"1," * 700_000 + b"1]", chunked=True), DecodeError, True),
    "huge 502 page (chunked)": (Reply(status=502, body=b"<p>" + b"x" * 2_000_000, chunked=True, content_type="text/html"), ServerError, True),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_bodies_give_the_documented_error(
    loopback_server: ScriptedServer, make_client: MakeClient, case: str
) -> None:
    reply, error_class, applied = CASES[case]
    loopback_server.default = reply
    cal = make_client(retry=RetryPolicy.disabled(), max_response_bytes=1024 * 1024)
    with pytest.raises(CalError) as caught:
        await asyncio.wait_for(cal.bookings.decline("uid-1", reason="r"), 10)
    error = caught.value
    assert isinstance(error, error_class), repr(error)
    assert error.may_have_been_applied is applied
    text = str(error)
    assert "\n" not in text
    assert len(text) < 1000  # a readable line, never the whole body
    assert loopback_server.count == 1


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_bodies_on_a_read_are_retried_or_final_never_a_crash(
    loopback_server: ScriptedServer, make_client: MakeClient, case: str
) -> None:
    reply, error_class, _applied = CASES[case]
    loopback_server.default = reply
    cal = make_client(retry=RetryPolicy(attempts=3), max_response_bytes=1024 * 1024)
    with pytest.raises(CalError) as caught:
        await asyncio.wait_for(cal.bookings.get("uid-1"), 10)
    assert isinstance(caught.value, error_class)
    assert loopback_server.count in (1, 3)


async def test_a_json_array_where_a_list_of_strings_belongs(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(body={"status": "success", "data": [{"url": 1}]})
    cal = make_client(retry=RetryPolicy.disabled())
    with pytest.raises(DecodeError) as caught:
        await cal.bookings.transcripts("uid-1")
    assert caught.value.path == "$.data[0]"


# --- rate-limit headers in every form ---------------------------------------------------------

HEADER_FORMS: dict[str, dict[str, str]] = {
    "unsuffixed": {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "5"},
    "epoch reset": {"X-RateLimit-Reset-Default": "1767225600"},
    "negative reset": {"X-RateLimit-Limit-Default": "10", "X-RateLimit-Remaining-Default": "-3", "X-RateLimit-Reset-Default": "-60"},
    "absurd reset": {"X-RateLimit-Limit-Default": "10", "X-RateLimit-Remaining-Default": "0", "X-RateLimit-Reset-Default": "99999999999999"},
    "beyond float": {"X-RateLimit-Reset-Default": "9" * 400},
    "1e999": {"X-RateLimit-Reset-Default": "1e999", "X-RateLimit-Limit-Default": "nan"},
    "words": {"X-RateLimit-Reset-Default": "soon", "X-RateLimit-Limit-Default": "many"},
    "empty values": {"X-RateLimit-Reset-Default": "", "X-RateLimit-Limit-Default": " "},
    "fractions": {"X-RateLimit-Limit-Default": "0.5", "X-RateLimit-Remaining-Default": "0.2", "X-RateLimit-Reset-Default": "0.001"},
    "zero limit": {"X-RateLimit-Limit-Default": "0", "X-RateLimit-Remaining-Default": "0", "X-RateLimit-Reset-Default": "1"},
    "odd names": {"X-RateLimit-Reset-": "5", "x-ratelimit-reset-a.b": "1"},
    "retry-after date": {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
    "retry-after negative": {"Retry-After": "-5"},
    "retry-after absurd": {"Retry-After": "1e308"},
    "many names": {f"X-RateLimit-Reset-N{i}": str(i) for i in range(50)},
}  # fmt: skip


#: The longest the pacer holds a request on its own estimate (no reset believed): the
#: window's fallback end, 60 s * 1.25 + 1 s, plus one of its sleeps.
FALLBACK_HOLD = 60.0 * 1.25 + 1.0 + 0.25


@pytest.mark.parametrize("form", list(HEADER_FORMS))
async def test_rate_limit_headers_on_a_success_are_tolerated(
    loopback_server: ScriptedServer, make_client: MakeClient, fake_clock: FakeClock, form: str
) -> None:
    loopback_server.default = Reply(headers=HEADER_FORMS[form])
    cal = make_client(retry=RetryPolicy.disabled(), clock=fake_clock)
    with waits(True):
        for _ in range(3):
            before = fake_clock.monotonic()
            await asyncio.wait_for(cal.bookings.decline("uid-1", reason="r"), 10)
            assert fake_clock.monotonic() - before <= FALLBACK_HOLD
    assert loopback_server.count == 3
    for limit in cal.rate_limits.values():
        for value in (limit.limit, limit.remaining, limit.reset):
            assert value is None or (math.isfinite(value) and value >= 0)


@pytest.mark.parametrize("form", list(HEADER_FORMS))
async def test_rate_limit_headers_on_a_429_give_a_rate_limit_error(
    loopback_server: ScriptedServer, make_client: MakeClient, fake_clock: FakeClock, form: str
) -> None:
    loopback_server.default = Reply(status=429, headers=HEADER_FORMS[form])
    cal = make_client(
        retry=RetryPolicy(attempts=3, rate_limit_wait_max=65.0, deadline=300.0), clock=fake_clock
    )
    with waits(True), pytest.raises(RateLimitError) as caught:
        await asyncio.wait_for(cal.bookings.decline("uid-1", reason="r"), 10)
    retry_after = caught.value.retry_after
    assert retry_after is None or (math.isfinite(retry_after) and retry_after >= 0)
    assert caught.value.may_have_been_applied is False
    assert 1 <= loopback_server.count <= 3
    # Every wait, the pacer's and the retries', was bounded (the pacer sleeps a whole hold in
    # one timer: at most its fallback estimate when no reset is believed).
    assert all(0 <= seconds <= max(65.0 + 1.0, FALLBACK_HOLD) for seconds in fake_clock.sleeps)
    # And the client is not stopped for good: once the server is fine, calls go through.
    loopback_server.default = Reply()
    fake_clock.now += 86_400 * 2
    with waits(True):
        await asyncio.wait_for(cal.bookings.decline("uid-1", reason="r"), 10)


# --- the pacer never holds long, and never refuses for good -----------------------------------


def _pacer(clock: FakeClock) -> AdaptivePacer:
    return AdaptivePacer(limit=2, window=60.0, clock=clock, max_wait=65.0)


async def _send(
    pacer: AdaptivePacer, clock: FakeClock, report: dict[str, list[Any]], status: int
) -> None:
    ticket = await pacer.acquire(op("bookings.get"))
    pacer.release(ticket, status, report)


@pytest.mark.parametrize("status", [200, 429])
@pytest.mark.parametrize("reset", [1e9, 10**15, LONGEST_RESET * 2])
async def test_an_absurd_reset_does_not_stop_the_pacer_for_good(
    fake_clock: FakeClock, status: int, reset: float
) -> None:
    # A proxy says the window (or the block) ends in 31 years: not believed. Without the bound
    # every later request was refused at once, forever, although the server would take it.
    pacer = _pacer(fake_clock)
    with waits(True):
        await _send(pacer, fake_clock, {"default": [2, 0, reset]}, status)
        started = fake_clock.monotonic()
        await pacer.acquire(op("bookings.get"))
    held = fake_clock.monotonic() - started
    assert held <= FALLBACK_HOLD  # at most the window's fallback estimate


async def test_a_long_but_believable_block_is_refused_at_once_then_over(
    fake_clock: FakeClock,
) -> None:
    pacer = _pacer(fake_clock)
    with waits(True):
        await _send(pacer, fake_clock, {"default": [2, 0, 3600]}, 429)
        with pytest.raises(RateLimitError) as caught:
            await pacer.acquire(op("bookings.get"))
        assert caught.value.retry_after == pytest.approx(3600)
        assert fake_clock.sleeps == []  # refused without holding
        fake_clock.now += 3600
        await pacer.acquire(op("bookings.get"))


_values = st.one_of(
    st.none(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(min_value=-1e15, max_value=1e15, allow_nan=False),
)
_reports = st.dictionaries(
    st.sampled_from(["default", "long", "booking_guests_add", "x"]),
    st.lists(_values, min_size=3, max_size=3),
    max_size=3,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(_reports, st.sampled_from([200, 201, 400, 429, 500, None]), st.floats(0, 120)),
        max_size=8,
    ),
    route=st.sampled_from(["bookings.get", "bookings.add_guests"]),
)
# Found by this test: a block that had run out restarted its window a second time (losing the
# window end learned meanwhile), and resets taken as window lengths stretched the fallback hold.
@example(
    steps=[
        ({"default": [None] * 3, "booking_guests_add": [None] * 3}, 200, 68.0),
        ({"default": [None] * 3, "booking_guests_add": [None, None, 0]}, 429, 8.0),
        ({"booking_guests_add": [None, None, 61]}, 200, 0.0),
        ({"default": [None] * 3, "booking_guests_add": [None] * 3}, 429, 0.0),
    ],
    route="bookings.get",
)
async def test_the_pacer_after_any_reports_holds_briefly_or_refuses_and_recovers(
    steps: list[tuple[dict[str, list[Any]], int | None, float]], route: str
) -> None:
    clock = FakeClock()
    pacer = AdaptivePacer(limit=3, window=60.0, clock=clock, max_wait=65.0)
    with waits(True):
        for report, status, later in steps:
            try:
                ticket = await asyncio.wait_for(pacer.acquire(op(route)), 5)
            except RateLimitError:
                pass  # refused without sending: nothing to report
            else:
                pacer.release(ticket, status, report or None)
            clock.now += later
        # Now: the next request is held at most max_wait (plus one sleep), or refused at once.
        before = clock.monotonic()
        refused: RateLimitError | None = None
        try:
            ticket = await asyncio.wait_for(pacer.acquire(op(route)), 5)
        except RateLimitError as error:
            refused = error
        else:
            pacer.release(ticket, None, None)
        held = clock.monotonic() - before
        if refused is None:
            assert held <= max(65.0, FALLBACK_HOLD) + 0.25
        else:
            assert held <= 65.0 + 0.25
            retry_after = refused.retry_after
            assert retry_after is not None
            assert 0 <= retry_after <= LONGEST_RESET + 1
        # And however bad the reports, a day later the pacer lets requests through again.
        clock.now += LONGEST_RESET + 1
        for _ in range(3):
            ticket = await asyncio.wait_for(pacer.acquire(op(route)), 5)
            pacer.release(ticket, 200, None)
    for in_flight in pacer_in_flight(pacer).values():
        assert in_flight == 0


# --- the header parsers on arbitrary input ----------------------------------------------------

_header_names = st.one_of(
    st.binary(max_size=40),
    st.builds(
        lambda kind, name, case: (b"X-RateLimit-" + kind + name).lower() if case else b"X-RateLimit-" + kind + name,
        st.sampled_from([b"Limit-", b"Remaining-", b"Reset-", b"", b"Reset"]),
        st.binary(max_size=12),
        st.booleans(),
    ),
)  # fmt: skip
_header_values = st.one_of(
    st.binary(max_size=30),
    st.integers().map(lambda n: str(n).encode()),
    st.floats().map(lambda f: repr(f).encode()),
    st.text(max_size=20).map(lambda t: t.encode("utf-8")),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_header_names, _header_values), max_size=20))
def test_parse_rate_limit_headers_never_raises_and_reads_only_sane_numbers(
    headers: list[tuple[bytes, bytes]],
) -> None:
    reported = parse_rate_limit_headers(headers)
    if reported is None:
        return
    for name, entry in reported.items():
        assert isinstance(name, str)
        assert not any("A" <= ch <= "Z" for ch in name)  # lower case (ASCII: names are bytes)
        assert len(entry) == 3
        for value in entry:
            assert value is None or (
                isinstance(value, (int, float)) and math.isfinite(value) and abs(value) <= 10**15
            )


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=40), st.floats().map(repr), st.integers().map(str)))
def test_parse_retry_after_never_raises(value: str | None) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)

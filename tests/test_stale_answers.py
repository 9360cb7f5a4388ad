"""An answer that may be a late one meant for an earlier request: what the SDK concludes from it.

On a kept-alive connection an answer nobody asked for (a server or proxy writing one late) can
land after the pool's check and be read as the next request's answer, that request's own answer
lost. A success is checked against its request (the booking's uid) and a Cal.com error names
the path it answers; an answer that shows neither (a redirect, a proxy's HTML page, an envelope
without ``path``), read on a connection that had carried an earlier answer, therefore leaves the
request's outcome open: ``may_have_been_applied``. On a fresh connection, or when the error names
this request's path, a refusal stays definite.

The transport's part is checked here too: it says whether the connection had carried an earlier
answer (``RawResponse.reused``), and ``drop_connection`` closes the connection even when the
answer was small enough that aiohttp had already handed the connection back to its pool.
The hostile server's version (an unsolicited response ahead of a write's own answer) is in
tests/test_hostile.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from _helpers import Reply, ScriptedServer, error_envelope
from _hostile_server import HostileServer

from calbookings_async import APIStatusError, BadRequestError, CalBookings, RetryPolicy
from calbookings_async._transport import AiohttpTransport
from calbookings_async._types import RawRequest

MakeClient = Callable[..., CalBookings]
ONE_ATTEMPT = RetryPolicy.disabled()
#: A refusal as a proxy or another server writes it: no envelope, no path.
PATHLESS = error_envelope(400, "Booking is already cancelled")


async def decline(cal: CalBookings) -> None:
    await cal.bookings.decline("booking_uid_123", reason="Host has to take another call")


async def get(cal: CalBookings) -> None:
    await cal.bookings.get("booking_uid_123")


# --- the transport: reused, and dropping the connection ------------------------------------------


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    sending = AiohttpTransport()
    try:
        yield sending
    finally:
        await sending.aclose()


async def test_the_transport_says_whether_the_connection_carried_an_earlier_answer(
    loopback_server: ScriptedServer, transport: AiohttpTransport
) -> None:
    url = loopback_server.url + "/v2/bookings/booking_uid_123"
    pooled = [await transport.send(RawRequest("GET", url, {})) for _ in range(3)]
    fresh = await transport.send(RawRequest("POST", url, {}, b"{}", fresh_connection=True))
    assert [response.reused for response in pooled] == [False, True, True]
    assert fresh.reused is False


async def test_dropping_the_connection_of_a_small_answer_closes_it(
    transport: AiohttpTransport,
) -> None:
    # aiohttp hands a connection back to its pool as soon as the body is in, which for a small
    # answer is before the transport looks at the response: dropping must still close it.
    async with HostileServer(seed=3) as server:
        uid = server.add_booking("drop@hostile.example")
        url = f"{server.base_url}/v2/bookings/{uid}"
        first = await transport.send(RawRequest("GET", url, {}))
        first.drop_connection()
        second = await transport.send(RawRequest("GET", url, {}))
        kept = await transport.send(RawRequest("GET", url, {}))
    assert (first.status, second.status, kept.status) == (200, 200, 200)
    assert (second.reused, kept.reused) == (False, True)
    assert server.connections == 2, "the dropped connection carried the next request"


# --- the session: what a refusal says about the write ---------------------------------------------


async def test_a_pathless_refusal_on_a_reused_connection_may_have_been_applied(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    # The get leaves its connection in the pool; the decline's answer on it names no path.
    loopback_server.script(Reply(), Reply(status=400, body=PATHLESS))
    cal = make_client(retry=ONE_ATTEMPT)
    await get(cal)
    with pytest.raises(BadRequestError) as caught:
        await decline(cal)
    assert caught.value.may_have_been_applied is True
    assert "may have applied the request" in str(caught.value)


async def test_a_pathless_refusal_on_a_fresh_connection_stays_definite(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.script(Reply(status=400, body=PATHLESS))
    cal = make_client(retry=ONE_ATTEMPT)
    with pytest.raises(BadRequestError) as caught:
        await decline(cal)
    assert caught.value.may_have_been_applied is False


async def test_a_refusal_naming_the_path_on_a_reused_connection_stays_definite(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    # Cal.com's own errors name the path they answer: the session checked it is this one.
    path = "/v2/bookings/booking_uid_123/decline"
    named = error_envelope(400, "Booking is already cancelled", path=path)
    loopback_server.script(Reply(), Reply(status=400, body=named))
    cal = make_client(retry=ONE_ATTEMPT)
    await get(cal)
    with pytest.raises(BadRequestError) as caught:
        await decline(cal)
    assert caught.value.may_have_been_applied is False


@pytest.mark.parametrize("status", [302, 307])
async def test_a_redirect_on_a_reused_connection_may_have_been_applied(
    loopback_server: ScriptedServer, make_client: MakeClient, status: int
) -> None:
    # What the mixed hostile run showed: a redirect meant for an earlier request, read as a
    # state-setting write's answer (never retried, never followed).
    redirect = Reply(status=status, body=b"", headers={"Location": "http://127.0.0.1:9/"})
    loopback_server.script(Reply(), redirect)
    cal = make_client(retry=ONE_ATTEMPT)
    await get(cal)
    with pytest.raises(APIStatusError) as caught:
        await decline(cal)
    assert caught.value.status_code == status
    assert caught.value.may_have_been_applied is True
    assert loopback_server.count == 2


async def test_a_pathless_retryable_answer_on_a_reused_connection_marks_the_final_refusal(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    # A proxy's 503 on the pooled connection is retried; the retry is refused as already done.
    # The 503 may have been a late answer meant for the get, the decline's own answer lost:
    # the refusal may be the decline's own earlier doing.
    page = Reply(status=503, body="<html>503 Service Unavailable</html>", content_type="text/html")
    loopback_server.script(Reply(), page, Reply(status=400))
    cal = make_client(retry=RetryPolicy(attempts=2))
    await get(cal)
    with pytest.raises(BadRequestError) as caught:
        await decline(cal)
    assert caught.value.may_have_been_applied is True
    assert caught.value.earlier_attempt_may_have_applied is True
    assert caught.value.attempts == 2

"""The transport against real loopback sockets: failures, size caps, redirects, sessions, wire.

Nothing here is mocked. Broken connections come from a scripted ``aiohttp.web`` server or, for
resets at exact byte positions, from a raw ``asyncio`` socket server.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import pytest
from _helpers import (
    ACCESS_TOKEN,
    API_KEY,
    CLIENT_ID,
    SECRET_KEY,
    SUCCESS_BODY,
    Internals,
    Reply,
    ScriptedServer,
    unused_port,
    wait_until,
)

from calbookings_async import (
    APIStatusError,
    Booking,
    CalBookings,
    DecodeError,
    InvalidArgumentError,
    NotFoundError,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    Timeout,
    TransportError,
    __version__,
)
from calbookings_async._transport import AiohttpTransport
from calbookings_async._types import Operation, RawRequest, Safety

MakeClient = Callable[..., CalBookings]
POLICY = RetryPolicy(attempts=3, jitter=0.0)

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handle: RawHandler) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A bare TCP server on 127.0.0.1; yields its base URL and the request heads it read."""
    heads: list[bytes] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            heads.append(head)
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":", 1)[1]))
            await handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", heads
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def raw_client(
    handle: RawHandler, **options: Any
) -> AsyncIterator[tuple[CalBookings, list[bytes]]]:
    """A client aimed at a ``raw_server``; yields it and the request heads the server read."""
    options.setdefault("retry", POLICY)
    options.setdefault("settle", False)  # request by request: no read-back after a decline
    async with (
        raw_server(handle) as (url, heads),
        CalBookings(api_key=API_KEY, base_url=url, **options) as cal,
    ):
        yield cal, heads


def reset_on_close(writer: asyncio.StreamWriter) -> None:
    """Make closing the socket send a TCP RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


HEAD_1000 = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"


async def decline(cal: CalBookings, uid: str = "booking_uid_123") -> Any:
    return await cal.bookings.decline(uid, reason="Host has to take another call")


async def create_stand_in(cal: CalBookings) -> Any:
    return await Internals(cal).requester.request(
        Operation(
            name="test.create",
            method="POST",
            path="/v2/bookings",
            safety=Safety.UNSAFE,
            api_version="2024-08-13",
        ),
        "/v2/bookings",
        body={"eventTypeId": 1},
        decode=lambda envelope: envelope,
    )


# --- no connection ------------------------------------------------------------------------


async def test_refused_connection_never_reached_the_server() -> None:
    async with CalBookings(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{unused_port()}", retry=POLICY
    ) as cal:
        with pytest.raises(TransportError) as caught:
            await decline(cal)
    error = caught.value
    assert type(error) is TransportError
    assert error.may_have_been_applied is False
    assert error.method == "POST"
    assert error.url.endswith("/v2/bookings/booking_uid_123/decline")
    assert "could not connect" in str(error)
    assert "Cannot connect to host" in str(error)  # aiohttp's own words, kept in the message
    # aiohttp's exception is not chained: its frames hold the request head as bytes.
    assert error.__cause__ is None
    assert error.__context__ is None


async def test_refused_connection_is_retried_even_for_unsafe_operations() -> None:
    async with CalBookings(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{unused_port()}", retry=POLICY
    ) as cal:
        with pytest.raises(TransportError) as caught:
            await create_stand_in(cal)
    assert caught.value.may_have_been_applied is False
    assert caught.value.attempts == 3


async def test_transport_send_maps_refusal() -> None:
    transport = AiohttpTransport(session=None, pool_size=2, max_response_bytes=4096)
    try:
        with pytest.raises(TransportError) as caught:
            await transport.send(
                RawRequest("GET", f"http://127.0.0.1:{unused_port()}/x", {}, connect_timeout=5.0)
            )
        assert caught.value.may_have_been_applied is False
    finally:
        await transport.aclose()


# --- broken responses ----------------------------------------------------------------------


async def test_reset_before_any_response_bytes() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reset_on_close(writer)

    async with raw_client(handle) as (cal, heads):
        with pytest.raises(TransportError) as caught:
            await create_stand_in(cal)
    assert type(caught.value) is TransportError
    assert caught.value.may_have_been_applied is True
    assert len(heads) == 1  # an unsafe operation is not repeated


async def test_reset_in_the_middle_of_the_body() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD_1000 + b'{"status":"success","data":{')
        await writer.drain()
        reset_on_close(writer)

    async with raw_client(handle) as (cal, heads):
        with pytest.raises(TransportError) as caught:
            await create_stand_in(cal)
        assert caught.value.may_have_been_applied is True
        assert len(heads) == 1
        # A safe operation is repeated after the same failure.
        with pytest.raises(TransportError):
            await decline(cal)
        assert len(heads) == 4


async def test_truncated_body_then_clean_close() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD_1000 + b'{"status":"succ')
        await writer.drain()
        writer.close()

    async with raw_client(handle) as (cal, _heads):
        with pytest.raises(TransportError) as caught:
            await create_stand_in(cal)
    assert type(caught.value) is TransportError
    assert caught.value.may_have_been_applied is True
    assert "cut off" in str(caught.value)


async def test_truncated_body_from_the_scripted_server(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(truncate=True)
    cal = make_client(retry=POLICY)
    with pytest.raises(TransportError) as caught:
        await create_stand_in(cal)
    assert caught.value.may_have_been_applied is True
    assert loopback_server.count == 1


async def test_not_http_at_all() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()

    async with raw_client(handle) as (cal, _heads):
        with pytest.raises(TransportError) as caught:
            await create_stand_in(cal)
    assert type(caught.value) is TransportError
    assert caught.value.may_have_been_applied is True


async def test_slow_server_past_the_total_timeout(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(delay=10)
    cal = make_client(timeout=0.3, retry=RetryPolicy.disabled())
    with pytest.raises(RequestTimeout) as caught:
        await decline(cal)
    assert caught.value.may_have_been_applied is True
    assert caught.value.method == "POST"
    assert "timed out" in str(caught.value)
    assert loopback_server.count == 1


async def test_server_stalling_mid_body_past_the_read_timeout() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD_1000 + b'{"status":')
        await writer.drain()
        await asyncio.sleep(10)

    async with raw_client(
        handle, timeout=Timeout(total=30.0, read=0.2), retry=RetryPolicy.disabled()
    ) as (cal, _heads):
        with pytest.raises(RequestTimeout) as caught:
            await decline(cal)
    assert caught.value.may_have_been_applied is True


# --- size cap -------------------------------------------------------------------------------

BIG = 4096
CAP = 1024


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_oversized_success_body_is_a_decode_error(
    loopback_server: ScriptedServer, make_client: MakeClient, chunked: bool
) -> None:
    body = orjson.dumps({"status": "success", "data": {"padding": "x" * BIG}})
    loopback_server.default = Reply(body=body, chunked=chunked)
    cal = make_client(max_response_bytes=CAP, retry=POLICY)
    with pytest.raises(DecodeError) as caught:
        await decline(cal)
    assert caught.value.path == "$"
    assert "max_response_bytes" in caught.value.reason
    assert caught.value.status_code == 200
    assert loopback_server.count == 1  # a DecodeError is never retried


async def test_oversized_after_decompression_is_refused(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    raw = orjson.dumps({"status": "success", "data": {"padding": "0" * 100_000}})
    loopback_server.default = Reply(body=gzip.compress(raw), headers={"Content-Encoding": "gzip"})
    cal = make_client(max_response_bytes=CAP)
    with pytest.raises(DecodeError):
        await decline(cal)


async def test_compressed_body_under_the_cap_is_read(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(
        body=gzip.compress(SUCCESS_BODY), headers={"Content-Encoding": "gzip"}
    )
    cal = make_client()
    booking = await decline(cal)
    assert isinstance(booking, Booking)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("status", "error_class"), [(404, NotFoundError), (500, ServerError), (418, APIStatusError)]
)
async def test_oversized_error_body_keeps_the_status_class(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    status: int,
    error_class: type[APIStatusError],
    chunked: bool,
) -> None:
    loopback_server.default = Reply(status=status, body=b"<p>" + b"x" * BIG, chunked=chunked)
    cal = make_client(max_response_bytes=CAP, retry=RetryPolicy.disabled())
    with pytest.raises(APIStatusError) as caught:
        await decline(cal)
    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert "too large" in caught.value.message


async def test_body_exactly_at_the_cap_is_read(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    envelope = orjson.loads(SUCCESS_BODY)
    body = orjson.dumps(envelope)
    loopback_server.default = Reply(body=body, chunked=True)
    cal = make_client(max_response_bytes=len(body))
    assert isinstance(await decline(cal), Booking)


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_not_followed(
    loopback_server: ScriptedServer, make_client: MakeClient, status: int
) -> None:
    elsewhere = ScriptedServer()
    await elsewhere.start()
    try:
        loopback_server.default = Reply(
            status=status, headers={"Location": f"{elsewhere.url}/steal"}, body=b""
        )
        cal = make_client(retry=POLICY)
        with pytest.raises(APIStatusError) as caught:
            await decline(cal)
        assert caught.value.status_code == status
        assert loopback_server.count == 1
        assert elsewhere.count == 0
    finally:
        await elsewhere.close()


# --- sessions and closing -------------------------------------------------------------------


async def test_caller_owned_session_is_used_and_left_open(
    loopback_server: ScriptedServer,
) -> None:
    async with aiohttp.ClientSession(headers={"X-Probe": "caller-session"}) as session:
        async with CalBookings(
            api_key=API_KEY, base_url=loopback_server.url, session=session
        ) as cal:
            await decline(cal)
        assert cal.closed
        assert not session.closed
        assert loopback_server.requests[0].headers["X-Probe"] == "caller-session"
        # The caller's session still works.
        async with session.get(f"{loopback_server.url}/ping") as response:
            assert response.status == 200


async def test_caller_owned_session_closed_by_its_owner(
    loopback_server: ScriptedServer,
) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    async with CalBookings(
        api_key=API_KEY, base_url=loopback_server.url, session=session, retry=POLICY
    ) as cal:
        with pytest.raises(TransportError) as caught:
            await decline(cal)
    assert caught.value.attempts == 1
    assert caught.value.may_have_been_applied is False
    assert loopback_server.count == 0


async def test_a_session_argument_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY, session=object())  # type: ignore[arg-type]
    assert caught.value.argument == "session"


async def test_owned_session_closed_by_aclose(
    loopback_server: ScriptedServer,
) -> None:
    cal = CalBookings(api_key=API_KEY, base_url=loopback_server.url)
    await decline(cal)
    pool = Internals(cal).pool
    assert pool is not None
    assert not pool.closed
    await cal.aclose()
    assert pool.closed
    assert cal.closed
    await cal.aclose()  # closing twice is harmless


async def test_owned_session_closed_by_async_with(loopback_server: ScriptedServer) -> None:
    async with CalBookings(api_key=API_KEY, base_url=loopback_server.url) as cal:
        await decline(cal)
        pool = Internals(cal).pool
        assert pool is not None
    assert pool.closed


async def test_a_client_closed_before_use_never_opens_a_pool(
    loopback_server: ScriptedServer,
) -> None:
    cal = CalBookings(api_key=API_KEY, base_url=loopback_server.url)
    await cal.aclose()
    assert Internals(cal).pool is None


async def test_requests_after_close_raise_at_once(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    records: list[Any] = []
    cal = make_client(retry=RetryPolicy(attempts=4, on_retry=records.append))
    await decline(cal)
    await cal.aclose()
    with pytest.raises(TransportError) as caught:
        await decline(cal)
    assert caught.value.may_have_been_applied is False
    assert caught.value.attempts == 1
    assert records == []
    assert "closed" in str(caught.value)
    assert loopback_server.count == 1


async def test_closing_during_a_request_ends_it_without_retries(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(delay=10)
    cal = make_client(retry=RetryPolicy(attempts=4))
    call = asyncio.ensure_future(decline(cal))
    await wait_until(lambda: loopback_server.count == 1)
    await cal.aclose()
    with pytest.raises(TransportError) as caught:
        await call
    assert "closed" in str(caught.value)
    assert caught.value.attempts == 1
    assert loopback_server.count == 1


# --- the URL path ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uid", "segment"),
    [
        ("booking_uid_123", "booking_uid_123"),
        ("a/b", "a%2Fb"),
        ("../../admin", "..%2F..%2Fadmin"),
        ("a?b=c", "a%3Fb%3Dc"),
        ("a#frag", "a%23frag"),
        ("a b", "a%20b"),
        ("100%", "100%25"),
        ("%2F", "%252F"),
        ("ünï cödé", "%C3%BCn%C3%AF%20c%C3%B6d%C3%A9"),
        ("日本", "%E6%97%A5%E6%9C%AC"),
        ("a+b", "a%2Bb"),
        ("...", "..."),
        (".a", ".a"),
    ],
)
async def test_uid_is_one_percent_encoded_path_segment(
    loopback_server: ScriptedServer, make_client: MakeClient, uid: str, segment: str
) -> None:
    cal = make_client()
    await decline(cal, uid)
    await cal.bookings.mark_absent(uid, host=True)
    assert [seen.raw_path for seen in loopback_server.requests] == [
        f"/v2/bookings/{segment}/decline",
        f"/v2/bookings/{segment}/mark-absent",
    ]


@pytest.mark.parametrize(
    "uid", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b", "", "   ", ".", ".."]
)
async def test_uids_with_control_characters_or_empty_are_refused_before_sending(
    loopback_server: ScriptedServer, make_client: MakeClient, uid: str
) -> None:
    cal = make_client()
    with pytest.raises(InvalidArgumentError) as caught:
        await decline(cal, uid)
    assert caught.value.argument == "booking_uid"
    with pytest.raises(InvalidArgumentError):
        await cal.bookings.mark_absent(uid, host=True)
    assert loopback_server.count == 0


# --- what goes on the wire ----------------------------------------------------------------


async def test_headers_and_body_of_a_write(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client()
    await decline(cal)
    seen = loopback_server.requests[0]
    assert seen.method == "POST"
    assert seen.headers["Authorization"] == f"Bearer {API_KEY}"
    assert seen.headers["cal-api-version"] == "2024-08-13"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Accept"] == "application/json"
    agent = seen.headers["User-Agent"]
    assert agent.startswith(f"calbookings-async/{__version__} ")
    assert f"aiohttp {aiohttp.__version__}" in agent
    assert "x-cal-client-id" not in seen.headers
    assert "x-cal-secret-key" not in seen.headers
    assert orjson.loads(seen.body) == {"reason": "Host has to take another call"}


async def test_an_empty_body_is_still_a_body(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client()
    await cal.bookings.decline("booking_uid_123")
    seen = loopback_server.requests[0]
    assert seen.body == b"{}"
    assert seen.headers["Content-Type"] == "application/json"


async def test_no_content_type_without_a_body(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client()
    await Internals(cal).requester.request(
        Operation(
            name="test.list",
            method="GET",
            path="/v2/bookings",
            safety=Safety.READ,
            api_version="2024-08-13",
        ),
        "/v2/bookings",
        query=[("status", "upcoming,past"), ("attendeeEmail", "a+b@example.com")],
        decode=lambda envelope: envelope,
    )
    seen = loopback_server.requests[0]
    assert seen.method == "GET"
    assert seen.body == b""
    assert "Content-Type" not in seen.headers
    assert seen.headers["Authorization"] == f"Bearer {API_KEY}"
    assert seen.headers["cal-api-version"] == "2024-08-13"
    assert seen.raw_path == "/v2/bookings?status=upcoming%2Cpast&attendeeEmail=a%2Bb%40example.com"


async def test_access_token_is_sent_as_bearer(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client(access_token=ACCESS_TOKEN)
    await decline(cal)
    assert loopback_server.requests[0].headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


async def test_client_credentials_headers(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client(client_id=CLIENT_ID, secret_key=SECRET_KEY)
    await decline(cal)
    seen = loopback_server.requests[0]
    assert seen.headers["x-cal-client-id"] == CLIENT_ID
    assert seen.headers["x-cal-secret-key"] == SECRET_KEY
    assert "Authorization" not in seen.headers
    assert seen.headers["cal-api-version"] == "2024-08-13"


async def test_base_url_with_a_path_prefix(loopback_server: ScriptedServer) -> None:
    async with CalBookings(api_key=API_KEY, base_url=f"{loopback_server.url}/proxy/") as cal:
        await decline(cal)
    assert loopback_server.requests[0].raw_path == "/proxy/v2/bookings/booking_uid_123/decline"

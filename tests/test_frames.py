"""No credential in any frame of any error the SDK raises, for every kind of transport failure.

Error trackers and rich tracebacks render every frame's local variables (Sentry's default
``include_local_variables=True``, Rich, ``traceback`` with ``capture_locals=True``). For each way
a request can fail on the wire (connect refused, a write on a keep-alive connection the server
is closing, a cut body, a timeout, a malformed response, TLS spoken to a plain HTTP server),
with each kind of credential, the raised error and every exception in its ``__cause__`` /
``__context__`` chain (suppressed contexts included: the objects are still reachable) are
rendered with ``traceback.TracebackException(..., capture_locals=True)`` and searched for the
API key, the access token and the client secret, as text and as a bytes repr. The error's
message must still carry the underlying failure's words.

The failures come from :class:`HostileServer` (tests/_hostile_server.py), which can answer
with malformed HTTP. The helpers here are also used by the hostile suite (test_hostile.py).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Awaitable, Iterator
from typing import Any

import pytest
from _helpers import ACCESS_TOKEN, API_KEY, CLIENT_ID, SECRET_KEY, unused_port
from _hostile_server import HostileServer

from calbookings_async import CalBookings, CalError, MarkAbsentAttendee, RetryPolicy, Timeout

#: What must never be rendered: each credential (and a recognisable piece of each), by name.
CREDENTIAL_VALUES = {"API key": API_KEY, "access token": ACCESS_TOKEN, "client secret": SECRET_KEY}

CREDENTIALS: dict[str, dict[str, str]] = {
    "api_key": {"api_key": API_KEY},
    "access_token": {"access_token": ACCESS_TOKEN},
    "client_credentials": {"client_id": CLIENT_ID, "secret_key": SECRET_KEY},
}

#: Calls in the loop that provokes writes on connections the server closed after answering.
CLOSING_CALLS = 20


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception reachable through ``__cause__`` and ``__context__``."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend((current.__cause__, current.__context__))


def rendered(error: BaseException) -> str:
    """Everything a traceback renderer that shows locals prints for ``error``'s whole chain."""
    return "\n".join(
        "".join(
            traceback.TracebackException(
                type(link), link, link.__traceback__, capture_locals=True
            ).format()
        )
        for link in chain(error)
    )


def credentials_in(text: str) -> list[str]:
    """The credentials (or recognisable pieces of them) that ``text`` shows, as names."""
    found = []
    for name, value in CREDENTIAL_VALUES.items():
        forms = {value, value[-12:], repr(value.encode())[2:-1], repr(value.encode()[-12:])[2:-1]}
        if any(form in text for form in forms):
            found.append(name)
    return found


async def error_of(call: Awaitable[Any]) -> CalError | None:
    """The ``CalError`` that ``call`` raises, or ``None``.

    The error is caught here, so the traceback's last frame is this one, which holds no
    credential (a test's frame does: its ``credentials`` argument).
    """
    try:
        await call
    except CalError as error:
        return error
    return None


async def failure_of(call: Awaitable[Any]) -> CalError:
    """The ``CalError`` that ``call`` raises (see :func:`error_of`)."""
    error = await error_of(call)
    assert error is not None, "the call succeeded; a failure was expected"
    return error


def leaking_locals(error: BaseException) -> list[str]:
    """``file:function local`` of every frame local in the chain that renders a credential."""
    found = []
    for link in chain(error):
        frames = traceback.StackSummary.extract(
            traceback.walk_tb(link.__traceback__), capture_locals=True
        )
        for frame in frames:
            for name, value in (frame.locals or {}).items():
                if credentials_in(value):
                    where = "/".join(frame.filename.split("/")[-2:])
                    found.append(f"{where}:{frame.name} {name}")
    return found


def assert_clean(error: CalError) -> None:
    leaked = credentials_in(rendered(error))
    assert not leaked, (
        f"{', '.join(leaked)} rendered in the frames of {error!r}: {leaking_locals(error)}"
    )
    assert not credentials_in(str(error))


@pytest.fixture(params=list(CREDENTIALS))
def credentials(request: pytest.FixtureRequest) -> dict[str, str]:
    return CREDENTIALS[request.param]


@pytest.fixture
async def server() -> Any:
    async with HostileServer(seed=3) as hostile:
        hostile.add_booking("ann@frames.example")
        yield hostile


def client(base_url: str, credentials: dict[str, str], **options: Any) -> CalBookings:
    options.setdefault("retry", RetryPolicy.disabled())
    return CalBookings(base_url=base_url, pacing=False, **options, **credentials)


def mark_absent(cal: CalBookings) -> Awaitable[Any]:
    # A POST with a body: the request head and the body are written together, later.
    return cal.bookings.mark_absent(
        "seed-1", attendees=[MarkAbsentAttendee(email="ann@frames.example", absent=True)]
    )


# --- one test per failure kind --------------------------------------------------------------


async def test_connect_refused(credentials: dict[str, str]) -> None:
    async with client(f"http://127.0.0.1:{unused_port()}", credentials) as cal:
        error = await failure_of(mark_absent(cal))
    assert_clean(error)
    assert re.search(r"Connect call failed|[Cc]onnection refused", str(error)), str(error)


async def test_write_on_a_closing_keep_alive_connection(
    server: HostileServer, credentials: dict[str, str]
) -> None:
    # The server closes each connection right after a keep-alive answer; the next request on
    # the pooled connection is written to a transport that is closing.
    server.always("close_after_answer")
    errors: list[CalError] = []
    async with client(server.base_url, credentials) as cal:
        for _ in range(CLOSING_CALLS):
            error = await error_of(mark_absent(cal))
            if error is not None:
                errors.append(error)
    for error in errors:
        assert_clean(error)
        assert re.search(
            r"[Cc]an ?not write|closing transport|[Dd]isconnected|[Rr]eset|[Cc]losed", str(error)
        ), str(error)
    # Every call either succeeded or failed cleanly; and the server saw every successful one.
    assert len(server.ledger) == CLOSING_CALLS - len(errors)


async def test_cut_body(server: HostileServer, credentials: dict[str, str]) -> None:
    server.always("cut_body")
    async with client(server.base_url, credentials) as cal:
        error = await failure_of(mark_absent(cal))
    assert_clean(error)
    assert re.search(r"payload is not completed|[Nn]ot enough data", str(error)), str(error)


async def test_timeout(server: HostileServer, credentials: dict[str, str]) -> None:
    server.always("stall_forever")
    async with client(server.base_url, credentials, timeout=Timeout(total=0.3)) as cal:
        error = await failure_of(mark_absent(cal))
    assert_clean(error)
    assert "timed out" in str(error)


async def test_malformed_response(server: HostileServer, credentials: dict[str, str]) -> None:
    server.always("malformed_status")
    async with client(server.base_url, credentials) as cal:
        error = await failure_of(mark_absent(cal))
    assert_clean(error)
    assert re.search(r"[Bb]ad status line|[Ii]nvalid", str(error)), str(error)


async def test_tls_spoken_to_a_plain_http_server(
    server: HostileServer, credentials: dict[str, str]
) -> None:
    async with client(f"https://127.0.0.1:{server.port}", credentials) as cal:
        error = await failure_of(mark_absent(cal))
    assert_clean(error)
    assert re.search(r"SSL|TLS|WRONG_VERSION|record layer", str(error)), str(error)
    assert server.not_http >= 1  # the handshake did reach the plain server


# --- the helpers find what they look for ------------------------------------------------------


def test_the_search_finds_credentials_as_text_and_as_bytes() -> None:
    try:
        headers_buf = f"POST / HTTP/1.1\r\nAuthorization: Bearer {API_KEY}\r\n".encode()
        secret = SECRET_KEY
        raise ValueError("boom")
    except ValueError as error:
        text = rendered(error)
        del headers_buf, secret
    assert credentials_in(text) == ["API key", "client secret"]
    assert credentials_in("nothing here") == []

"""Sends one HTTP request with aiohttp and hands back status, headers and body bytes.

The seam between the SDK and aiohttp: no other package module imports aiohttp (the client only
names ``aiohttp.ClientSession`` in its signature). :class:`AiohttpTransport` implements the
:class:`~calbookings_async._types.Transport` protocol; every exception aiohttp, asyncio or the
socket raise is mapped by one table (:data:`_FAILURES`) to the SDK's ``TransportError`` family,
saying whether the request may have reached the server.

What this module guarantees, and how:

* **An answer is read as the answer to the request just sent.** Writes that must not be sent
  twice ask for a fresh connection (:attr:`RawRequest.fresh_connection`): they go out on a new
  connection that is closed afterwards, so no answer to an earlier request can be waiting on it.
  The pool hands out a kept-alive connection only after checking it has nothing unread and its
  peer has not closed it (:class:`_CheckedConnector`): bytes on an idle connection are an answer
  nobody asked for. The session checks each answer against its request (the booking's uid) and
  drops the connection when it does not match (:meth:`RawResponse.drop_connection`).
* **A request that provably never left is said so**: a connection that could not be made, or a
  write refused because the connection was already closing, raises ``TransportError`` with
  ``request_sent`` false; everything after the request may have been written says true.
* **No credential in any traceback**: aiohttp builds the request head as bytes, and frames that
  hold them end up in the traceback of aiohttp's exceptions. Those exceptions are never chained:
  the SDK's error is raised outside the ``except`` block, carrying their text only.
* **Bounded memory**: a body larger than ``max_response_bytes`` is not read into memory: a too
  large ``Content-Length`` is refused unread, a chunked or compressed body is read in chunks and
  refused as soon as it passes the cap, and its connection is closed with the rest unread.
* Redirects are never followed, so credentials never reach another host. URLs go out byte for
  byte (``yarl.URL(..., encoded=True)``): yarl would otherwise decode ``%2E`` and resolve dot
  segments, sending a booking uid of ``..`` to ``/v2/decline``.

This module imports ``_errors`` and ``_types``.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import ssl
import warnings
from collections.abc import Callable
from typing import Any

import aiohttp
from yarl import URL

from ._errors import ClientClosedError, InvalidArgumentError, RequestTimeout, TransportError
from ._types import RawRequest, RawResponse, fresh_step

__all__ = ["AiohttpTransport", "aiohttp_version", "normalize_base_url"]

aiohttp_version = aiohttp.__version__

#: Idle pooled connections are dropped after this long (aiohttp's default is 15 s). Shorter than
#: the usual server-side keep-alive (Node's default is 5 s), so a pooled connection is rarely
#: taken just as the server closes it; the pool's check catches the closes that did happen.
KEEPALIVE_SECONDS = 4.0

#: Bytes read from a chunked or compressed body at a time.
_CHUNK = 64 * 1024


def normalize_base_url(value: str) -> str:
    """Return ``value`` percent-encoded, without a trailing slash, query or fragment.

    Raises:
        InvalidArgumentError: Not an absolute http(s) URL with a host.
    """
    try:
        url = URL(value)
    except (ValueError, TypeError) as error:
        raise InvalidArgumentError("base_url", f"not a valid URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidArgumentError("base_url", "must be an absolute http(s) URL with a host")
    if url.user or url.password:
        raise InvalidArgumentError("base_url", "must not carry a user name or password")
    if url.query_string or url.fragment:
        raise InvalidArgumentError("base_url", "must not have a query or fragment")
    return str(url).rstrip("/")


# --- what each failure means ---------------------------------------------------------------------

# (exception class, what to say, whether the request may have reached the server, is it a
# timeout, can a new attempt help). The first row whose class matches wins, so subclasses come
# before their bases.
_Fate = tuple[type[BaseException], str, bool, bool, bool]
_FAILURES: tuple[_Fate, ...] = (
    (aiohttp.ConnectionTimeoutError, "timed out connecting to the server", False, True, True),
    (aiohttp.ServerTimeoutError, "timed out waiting for the response", True, True, True),
    (
        aiohttp.ClientConnectorCertificateError,
        "the server's TLS certificate was refused",
        False,
        False,
        False,
    ),
    (aiohttp.ClientConnectorError, "could not connect", False, False, True),
    # Raised by aiohttp's writer before it hands the request to a closing socket: the request
    # (one write: the head and a small JSON body go out together) never left.
    (
        aiohttp.ClientConnectionResetError,
        "the connection was closed before the request was written",
        False,
        False,
        True,
    ),
    (aiohttp.ClientPayloadError, "the response body was cut off", True, False, True),
    (
        aiohttp.ServerDisconnectedError,
        "the server closed the connection without a complete answer",
        True,
        False,
        True,
    ),
    (aiohttp.ClientResponseError, "the server sent a malformed response", True, False, True),
    (aiohttp.ClientError, "the connection failed", True, False, True),
    (asyncio.TimeoutError, "timed out waiting for the response", True, True, True),
    (OSError, "the connection failed", True, False, True),
    (Exception, "the HTTP client failed unexpectedly", True, False, True),
)


def _failure(error: Exception, request: RawRequest, closed: bool) -> TransportError:
    """The SDK's error for ``error``, carrying its text but no reference to it (or its frames)."""
    text = _describe(error)
    if closed:
        # aiohttp refuses a closed session with a RuntimeError before it sends anything.
        before = isinstance(error, RuntimeError)
        return ClientClosedError(
            "the aiohttp.ClientSession given to the client is closed"
            if before
            else "the client was closed during the request",
            method=request.method,
            url=request.url,
            request_id=request.request_id,
            request_sent=not before,
        )
    for cls, what, sent, timed_out, retryable in _FAILURES:  # noqa: B007 - the last row matches
        if isinstance(error, cls):
            break
    kind = RequestTimeout if timed_out else TransportError
    failure = kind(
        f"{what}: {text}",
        method=request.method,
        url=request.url,
        request_id=request.request_id,
        request_sent=sent,
    )
    failure.permanent = not retryable
    return failure


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if type(error).__name__ not in text:
        text = f"{type(error).__name__}: {text}"
    return text if len(text) <= 300 else text[:297] + "..."


# --- the pool -------------------------------------------------------------------------------------


def _is_clean(protocol: Any) -> bool:
    """Whether a kept-alive connection may carry a new request: nothing unread, peer still there.

    aiohttp keeps what the event loop read on the connection's protocol: ``should_close`` is true
    when it holds unread bytes, an unfinished body, an error, or saw the peer close. Bytes the
    loop has not read yet (a close sent right behind the last answer arrives a loop turn later)
    are still in the kernel: a ``select`` that does not wait says whether there are any.
    """
    if protocol is None or protocol.should_close:
        return False
    transport = protocol.transport
    if transport is None:
        return False
    # The descriptor itself where asyncio's socket transports keep it (no socket wrapper made
    # for the call), else the socket.
    fd = getattr(transport, "_sock_fd", None)
    if fd is None:
        fd = transport.get_extra_info("socket")
    try:
        readable, _writable, _errors = select.select((fd,), (), (), 0)
    except (OSError, ValueError, TypeError):
        return False
    return not readable


class _CheckedConnector(aiohttp.TCPConnector):
    """A pool that never hands out a connection with unread bytes or a closed peer (aiohttp's
    own pool checks only that the socket is still open)."""

    async def connect(self, req: Any, traces: Any, timeout: Any) -> aiohttp.connector.Connection:
        # Every request passes here: the base method is called directly (no super() object, no
        # argument packing). A fresh connection may be refused too (a server that talks before
        # it is asked); a few are tried, then the request goes on the last one and its answer
        # is checked.
        connect = aiohttp.TCPConnector.connect
        connection = await connect(self, req, traces, timeout)
        tries = 1
        while tries < 5 and not _is_clean(connection.protocol):
            connection.close()  # closed, not returned to the pool
            connection = await connect(self, req, traces, timeout)
            tries += 1
        return connection


# --- the transport --------------------------------------------------------------------------------


class AiohttpTransport:
    """Sends requests through aiohttp: a checked pool, and fresh connections for unsafe writes.

    Every send ends by the request's ``total_timeout``, the body read included
    (``enforces_timeouts``).

    Args:
        session: A caller-owned ``aiohttp.ClientSession`` to use (never closed here), or ``None``
            to create one pool of ``pool_size`` connections on first use (and one for fresh
            connections). A caller-owned session is used as it is, for every request: its pool
            is not checked, and it gives no fresh connections.
        pool_size: Connections in the owned pool.
        max_response_bytes: Bodies larger than this are not read.
        proxy: The proxy URL to send every request through, or ``None``.
        ssl: The TLS context, or ``True`` for aiohttp's default, or ``False`` to skip
            verification (the client allows that on loopback hosts only).
        keepalive: Seconds an idle pooled connection is kept.
    """

    #: Every send ends by its request's total timeout (see the ``Transport`` protocol).
    enforces_timeouts = True

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        pool_size: int = 100,
        max_response_bytes: int = 2 * 1024 * 1024,
        proxy: str | None = None,
        ssl: ssl.SSLContext | bool = True,
        keepalive: float = KEEPALIVE_SECONDS,
    ) -> None:
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise InvalidArgumentError(
                "session", f"expected an aiohttp.ClientSession, got {type(session).__name__}"
            )
        self._pooled = session
        self._fresh: aiohttp.ClientSession | None = None
        self._owns_sessions = session is None
        self._pool_size = pool_size
        self._max_bytes = max_response_bytes
        self._proxy = proxy
        self._ssl = ssl
        self._keepalive = keepalive
        self._timeouts: dict[
            tuple[float | None, float | None, float | None], aiohttp.ClientTimeout
        ] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"AiohttpTransport(pool_size={self._pool_size}, proxy={self._proxy is not None})"

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    @property
    def max_response_bytes(self) -> int:
        """The largest body read into memory."""
        return self._max_bytes

    def _session_for(self, request: RawRequest) -> aiohttp.ClientSession:
        if not self._owns_sessions:
            assert self._pooled is not None
            return self._pooled
        if request.fresh_connection:
            if self._fresh is None:
                self._fresh = self._new_session(
                    aiohttp.TCPConnector(limit=self._pool_size, force_close=True, ssl=self._ssl)
                )
            return self._fresh
        if self._pooled is None:
            self._pooled = self._new_session(
                _CheckedConnector(
                    limit=self._pool_size,
                    limit_per_host=0,
                    keepalive_timeout=self._keepalive,
                    ssl=self._ssl,
                )
            )
        return self._pooled

    @staticmethod
    def _new_session(connector: aiohttp.BaseConnector) -> aiohttp.ClientSession:
        # trust_env stays off: the client resolves proxies itself, once (aiohttp's would read
        # ~/.netrc in a thread on every request and refuse our Authorization header beside it).
        return aiohttp.ClientSession(connector=connector, raise_for_status=False)

    def _client_timeout(self, request: RawRequest) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for ``request``, remembered for the next requests like it."""
        key = (request.total_timeout, request.connect_timeout, request.read_timeout)
        timeout = aiohttp.ClientTimeout(total=key[0], sock_connect=key[1], sock_read=key[2])
        if len(self._timeouts) < 16:  # totals cut short by a deadline vary; keep it small
            self._timeouts[key] = timeout
        return timeout

    async def send(self, request: RawRequest) -> RawResponse:
        """Send one request and read the whole response.

        Returns:
            The response, whatever its status.

        Raises:
            TransportError: No complete response was received (``request_sent`` says whether
                the request may have reached the server).
            RequestTimeout: aiohttp's connect or read timeout expired first.
            ClientClosedError: The client, or the caller's session, is (or got) closed.
        """
        if self._closed:
            raise self._closed_error(
                request,
                "this CalBookings client is closed (aclose() was called, or its `async with` "
                "block ended); a closed client cannot be reopened: create a new CalBookings",
                sent=False,
            )
        session = self._pooled
        if session is None or request.fresh_connection:
            session = self._session_for(request)
        failure: TransportError
        try:
            # Awaited, not entered (``async with``): a body read to its end gives its
            # connection back by itself, and every other way out releases it below.
            response = await session.request(
                request.method,
                URL(request.url, encoded=True),
                data=request.body,
                headers=request.headers,
                allow_redirects=False,
                timeout=self._timeouts.get(
                    (request.total_timeout, request.connect_timeout, request.read_timeout)
                )
                or self._client_timeout(request),
                proxy=self._proxy,
            )
            try:
                # The response's own: a small answer's connection is released, and
                # response.connection is None, before the body is even read.
                protocol: Any = getattr(response, "_protocol", None)
                reused = getattr(protocol, "calbookings_answered", False)
                if not reused and protocol is not None:
                    protocol.calbookings_answered = True
                length = response.content_length
                too_large = None
                if (
                    length is not None
                    and length <= self._max_bytes
                    and ("Content-Encoding" not in response.headers)
                ):
                    body = await response.read()  # the usual answer: its length known, small
                else:
                    body, too_large = await self._read_capped(response, length)
                return RawResponse(
                    response.status,
                    response.reason or "",
                    response.raw_headers,
                    body,
                    too_large=too_large,
                    # A closed connection is never handed out again (the pool checks).
                    drop_connection=None if protocol is None else protocol.close,
                    reused=reused,
                )
            except BaseException:
                response.release()  # an unfinished body: its connection is closed
                raise
        except Exception as error:  # every failure, mapped by one table
            failure = _failure(error, request, self._closed or session.closed)
        # Raised outside the except block: aiohttp's exception (whose frames hold the request
        # head, credentials included, as bytes) is neither the cause nor the context.
        await fresh_step()
        raise failure

    async def _read_capped(
        self, response: aiohttp.ClientResponse, length: int | None
    ) -> tuple[bytes, int | None]:
        """The body, or ``(b"", size)`` once it passes the cap (the rest left unread)."""
        cap = self._max_bytes
        if length is not None and length > cap:
            response.close()  # the body stays unread and the connection goes
            return b"", length
        buffer = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            if len(buffer) + len(chunk) > cap:
                response.close()
                return b"", len(buffer) + len(chunk)
            buffer += chunk
        return bytes(buffer), None

    def _closed_error(self, request: RawRequest, message: str, *, sent: bool) -> ClientClosedError:
        return ClientClosedError(
            message,
            method=request.method,
            url=request.url,
            request_id=request.request_id,
            request_sent=sent,
        )

    async def aclose(self) -> None:
        """Close the owned sessions and their pools (a caller-owned session is left open)."""
        self._closed = True
        sessions = (self._pooled, self._fresh) if self._owns_sessions else ()
        self._pooled = self._fresh = None
        for session in sessions:
            if session is not None:
                await session.close()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # A client never closed: say so in the SDK's words, and close the pools here so that
        # aiohttp does not add its own warning about objects the caller never made.
        if getattr(self, "_closed", True) or not self._owns_sessions:
            return  # closed, caller-owned, or never fully built
        sessions = [s for s in (self._pooled, self._fresh) if s is not None and not s.closed]
        if not sessions:
            return
        _warn(
            "CalBookings was never closed: use `async with CalBookings(...) as cal:` or "
            "`await cal.aclose()` when done, so its connections are released",
            ResourceWarning,
            source=self,
        )
        for session in sessions:
            connector = session.connector
            session.detach()
            if connector is not None:
                # The synchronous part of close(): no loop may run now (a closed loop cannot
                # close transports any more, hence the suppress).
                with contextlib.suppress(Exception):
                    connector._close()

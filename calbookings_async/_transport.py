"""Sends one HTTP request with aiohttp and hands back status, headers and body bytes.

The seam between the SDK and aiohttp: no other package module imports aiohttp (the client
only names ``aiohttp.ClientSession`` in its signature). Every aiohttp and socket exception is
mapped here to :class:`~calbookings_async.TransportError` or
:class:`~calbookings_async.RequestTimeout`, with ``may_have_been_applied`` saying whether the
server can have seen the request: false only when the connection was never established.

Redirects are never followed, so credentials can never be sent to another host. Bodies larger
than the configured cap are not read into memory. URLs arrive fully percent-encoded from the
session and are handed to aiohttp as ``yarl.URL(..., encoded=True)``, so they go out byte for
byte: yarl's own normalisation would decode escapes such as ``%2E`` and then resolve the dot
segments, sending a booking uid of ``..`` to ``/v2/decline``. A closed client raises
:class:`~calbookings_async.ClientClosedError`, which is never retried.

This module imports ``_config``, ``_errors`` and ``_types``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
from yarl import URL

from ._config import Timeout
from ._errors import ClientClosedError, InvalidArgumentError, RequestTimeout, TransportError

__all__ = ["AiohttpTransport", "RawResponse", "aiohttp_version", "normalize_base_url"]

aiohttp_version = aiohttp.__version__

# Idle pooled connections are dropped after this long: shorter than the usual server-side
# keep-alive (Node's default is 5 s), so a write is rarely sent on a connection the server is
# closing at that moment -- a race that leaves a non-repeatable request in doubt.
_KEEPALIVE_SECONDS = 4.0


class RawResponse:
    """An HTTP response as received: status, headers and the body bytes.

    Attributes:
        status: HTTP status code.
        reason: The status line's reason phrase.
        headers: Case-insensitive header mapping.
        raw_headers: Header pairs as received, as bytes.
        body: The body bytes (empty when ``too_large``).
        too_large: The body was over the size cap and was not read.
    """

    __slots__ = ("body", "headers", "raw_headers", "reason", "status", "too_large")

    def __init__(
        self,
        status: int,
        reason: str,
        headers: Mapping[str, str],
        raw_headers: tuple[tuple[bytes, bytes], ...],
        body: bytes,
        too_large: bool = False,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.raw_headers = raw_headers
        self.body = body
        self.too_large = too_large


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


class AiohttpTransport:
    """Sends requests through one aiohttp connection pool.

    Args:
        session: A caller-owned ``aiohttp.ClientSession`` to use (never closed here), or
            ``None`` to create one (with its own pool of ``pool_size`` connections) on first
            use.
        pool_size: Connections in the owned pool. The session's concurrency limit is never
            larger, so a request never waits for a connection once its timeout has started.
        max_response_bytes: Bodies larger than this are not read.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None,
        pool_size: int,
        max_response_bytes: int,
    ) -> None:
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise InvalidArgumentError(
                "session", f"expected an aiohttp.ClientSession, got {type(session).__name__}"
            )
        self._session = session
        self._owns_session = session is None
        self._pool_size = pool_size
        self._max_bytes = max_response_bytes
        self._timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        # The last Timeout seen and its aiohttp form: nearly every call passes the same object,
        # and an identity check is cheaper than hashing it.
        self._last_timeout: tuple[Timeout, aiohttp.ClientTimeout] | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._pool_size,
                    limit_per_host=0,
                    keepalive_timeout=_KEEPALIVE_SECONDS,
                ),
                raise_for_status=False,
            )
            self._session = session
        return session

    def _client_timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        last = self._last_timeout
        if last is not None and last[0] is timeout:
            return last[1]
        cached = self._timeouts.get(timeout)
        if cached is None:
            cached = aiohttp.ClientTimeout(
                total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
            )
            if len(self._timeouts) < 64:  # deadline-capped timeouts vary; keep the cache small
                self._timeouts[timeout] = cached
        self._last_timeout = (timeout, cached)
        return cached

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: Timeout,
    ) -> RawResponse:
        """Send one request and read the whole response.

        Args:
            method: HTTP method.
            url: Absolute, fully percent-encoded URL.
            headers: Request headers.
            body: Request body bytes, or ``None``.
            timeout: Limits for this attempt.

        Returns:
            The response, whatever its status.

        Raises:
            TransportError: No complete response was received.
            RequestTimeout: The timeout expired first.
            ClientClosedError: The client, or the caller's session, is (or got) closed.
        """
        if self._closed:
            raise ClientClosedError(
                "the client is closed",
                method=method,
                url=url,
                request_id=headers.get("X-Request-Id"),
            )
        session = self._session
        if session is None:
            session = self._get_session()
        last = self._last_timeout  # the usual case: the same Timeout object as last time
        if last is not None and last[0] is timeout:
            client_timeout = last[1]
        else:
            client_timeout = self._client_timeout(timeout)
        try:
            async with session.request(
                method,
                URL(url, encoded=True),
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=client_timeout,
            ) as response:
                length = response.content_length
                encoded = "Content-Encoding" in response.headers
                if length is not None and length > self._max_bytes:
                    payload, too_large = b"", True
                elif length is not None and not encoded:
                    payload, too_large = await response.read(), False
                else:
                    payload, too_large = await self._read_capped(response)
                return RawResponse(
                    response.status,
                    response.reason or "",
                    response.headers,
                    response.raw_headers,
                    payload,
                    too_large,
                )
        except aiohttp.ConnectionTimeoutError:
            raise RequestTimeout(
                "timed out connecting to the server",
                method=method,
                url=url,
                request_id=headers.get("X-Request-Id"),
            ) from None
        except asyncio.TimeoutError:
            raise RequestTimeout(
                "timed out waiting for the response",
                method=method,
                url=url,
                request_id=headers.get("X-Request-Id"),
                may_have_been_applied=True,
            ) from None
        except aiohttp.ClientConnectorError as error:
            raise TransportError(
                f"could not connect: {_describe(error)}",
                method=method,
                url=url,
                request_id=headers.get("X-Request-Id"),
            ) from error
        except aiohttp.ClientPayloadError as error:
            raise TransportError(
                f"the response body was cut off: {_describe(error)}",
                method=method,
                url=url,
                request_id=headers.get("X-Request-Id"),
                may_have_been_applied=True,
            ) from error
        except (aiohttp.ClientError, OSError) as error:
            if self._closed or session.closed:
                raise ClientClosedError(
                    "the client was closed during the request",
                    method=method,
                    url=url,
                    request_id=headers.get("X-Request-Id"),
                    may_have_been_applied=True,
                ) from error
            raise TransportError(
                f"the connection failed: {_describe(error)}",
                method=method,
                url=url,
                request_id=headers.get("X-Request-Id"),
                may_have_been_applied=True,
            ) from error
        except RuntimeError:
            if not session.closed:
                raise
            # aiohttp refuses to use a closed session before sending anything.
            raise ClientClosedError(
                "the aiohttp.ClientSession given to the client is closed",
                method=method,
                url=url,
                request_id=headers.get("X-Request-Id"),
            ) from None

    async def _read_capped(self, response: aiohttp.ClientResponse) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > self._max_bytes:
                return b"", True
            chunks.append(chunk)
        return b"".join(chunks), False

    async def aclose(self) -> None:
        """Close the owned session and its pool (a caller-owned session is left open)."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."

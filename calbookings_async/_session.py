"""One API call: headers and auth, concurrency, rate-limit bookkeeping, status -> error, retries.

``Session.request(method, path, ...)`` returns the parsed success envelope or raises a typed
error. It knows the API's conventions (the JSON envelope, the error envelope, the rate-limit
headers, Bearer and client-credential auth, the ``cal-api-version`` header) but nothing about
bookings: a new resource needs no change here.

The first attempt is the hot path and stays lean: prebuilt header dicts, one semaphore, one
``orjson.loads``. Only when an attempt fails in a retryable way does the call enter the retry
machinery in ``_retry``. An expired managed-user token (HTTP 498) is refreshed once through the
caller's ``refresh_token`` callback, shared by concurrent calls, and the request repeated.

This module imports ``_retry``, ``_ratelimit``, ``_transport``, ``_config``, ``_validate``,
``_errors`` and ``_types``; it never imports aiohttp or tenacity itself.
"""

from __future__ import annotations

import asyncio
import collections
import html
import itertools
import logging
import random
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlencode

import attrs
import orjson

from ._config import DEFAULT_API_VERSION, SDK_VERSION, RetryPolicy, Timeout
from ._errors import (
    APIStatusError,
    CalError,
    DecodeError,
    InvalidArgumentError,
    RateLimit,
    RateLimitError,
    TokenExpiredError,
    error_for_status,
)
from ._pacing import Pacer
from ._ratelimit import (
    RateLimitState,
    Reported,
    largest_reset,
    parse_rate_limit_headers,
    parse_retry_after,
    to_public,
)
from ._retry import retry_after_failure, should_retry
from ._transport import AiohttpTransport, RawResponse, aiohttp_version
from ._types import CALL_ATTEMPTS, Clock, JSONObject, Operation, Query, Redacted, redacted
from ._validate import check_str

__all__ = ["Credentials", "RequestOptions", "Session", "user_agent"]

logger = logging.getLogger("calbookings_async")

T = TypeVar("T")

RefreshToken = Callable[[], Awaitable[str]]


def user_agent() -> str:
    """The ``User-Agent`` the SDK sends: its name and version, Python's and aiohttp's."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    return f"calbookings-async/{SDK_VERSION} (python {python}; aiohttp {aiohttp_version})"


@attrs.frozen(kw_only=True, repr=False)
class Credentials:
    """How the client authenticates. The secret values never appear in the repr.

    Attributes:
        kind: ``"api_key"``, ``"access_token"`` or ``"client_credentials"``.
        token: The API key or access token (Bearer), if any.
        client_id: The OAuth client id (``x-cal-client-id``), if any.
        secret_key: The OAuth client secret (``x-cal-secret-key``), if any.
    """

    kind: Literal["api_key", "access_token", "client_credentials"]
    token: str | None = None
    client_id: str | None = None
    secret_key: str | None = None

    def headers(self) -> dict[str, str]:
        """The auth headers for these credentials.

        The secret values are :class:`Redacted` strings: sent as they are, but shown as
        ``'<redacted>'`` by ``repr``, so a traceback rendered with its frames' locals (Sentry,
        Rich, ``traceback`` with ``capture_locals``) never shows them, in the SDK's frames or in
        aiohttp's.
        """
        if self.kind == "client_credentials":
            assert self.client_id is not None
            assert self.secret_key is not None
            return {
                "x-cal-client-id": self.client_id,
                "x-cal-secret-key": Redacted(self.secret_key),
            }
        return {"Authorization": Redacted(f"Bearer {self.token}")}

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r})"


@attrs.frozen(kw_only=True)
class RequestOptions:
    """Per-call overrides of the client's defaults (``CalBookings.with_options``)."""

    retry: RetryPolicy | None = None
    timeout: Timeout | None = None


class ConcurrencySlots:
    """A counting semaphore whose uncontended acquire never suspends the caller.

    ``asyncio.Semaphore.acquire`` is a coroutine even when a slot is free; on the request hot
    path the synchronous :meth:`try_acquire` saves that. A released slot is handed straight to
    the longest waiter, so waiters are served in order.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_acquire(self) -> bool:
        """Take a slot if one is free right now, without waiting."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting in line for one if none is free."""
        if self.try_acquire():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as we were cancelled: pass it on
            raise

    def release(self) -> None:
        """Give a slot back (to the first live waiter, if any)."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    @property
    def free(self) -> int:
        """Slots free right now (for tests and diagnostics)."""
        return self._free


# Scripts, style sheets and comments are not text a reader wants (a CDN's error page is mostly
# CSS); one cut off by the read limit runs to the end.
_INVISIBLE = re.compile(
    r"<(script|style)\b[^>]*>(?:.*?</\1\s*>|.*\Z)|<!--(?:.*?-->|.*\Z)", re.IGNORECASE | re.DOTALL
)
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")
_NO_OPTIONS = RequestOptions()


def _readable(body: bytes, reason: str) -> str:
    """A one-line summary of a non-JSON error body (an HTML page from a proxy, say)."""
    text = body[:65536].decode("utf-8", "replace")
    text = html.unescape(_TAGS.sub(" ", _INVISIBLE.sub(" ", text)))
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return reason or "no response body"
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{reason}: {text}" if reason and not text.startswith(reason) else text


class Session:
    """Makes API calls for one client. Implements the ``Requester`` protocol.

    Args:
        transport: Sends the HTTP requests.
        base_url: Normalised base URL (no trailing slash).
        credentials: How to authenticate.
        retry: The default retry policy.
        timeout: The default per-attempt timeout.
        max_concurrency: Most requests in flight at once.
        clock: Where time is read and waits happen.
        api_version: The ``cal-api-version`` header sent on every call.
        refresh_token: Called (once, shared by concurrent calls) when the server says the
            access token expired (HTTP 498); returns the new token.
        pacer: Holds each attempt until the rate limits allow it, and learns from each
            response (``None``: no pacing).
    """

    def __init__(
        self,
        *,
        transport: AiohttpTransport,
        base_url: str,
        credentials: Credentials,
        retry: RetryPolicy,
        timeout: Timeout,
        max_concurrency: int,
        clock: Clock,
        api_version: str = DEFAULT_API_VERSION,
        refresh_token: RefreshToken | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._transport = transport
        self._base_url = base_url
        self._credentials = credentials
        self._api_version = api_version
        self._retry = retry
        self._timeout = timeout
        self._clock = clock
        self._refresh = refresh_token
        self._pacer = pacer
        self._refresh_lock = asyncio.Lock()
        # Bumped by every refresh, successful or failed. A call notes it before sending; on a
        # 498 a changed value means a refresh ran meanwhile and the call shares its outcome:
        # the new token, or the failure (``_refresh_problem``) without calling back again.
        self._token_generation = 0
        self._refresh_problem: BaseException | None = None
        self._slots = ConcurrencySlots(max_concurrency)
        self._max_concurrency = max_concurrency
        self._rate_limits = RateLimitState()
        self._rng = random.Random()
        # The attempt timeout, shortened to the deadline when that is shorter (computed once).
        self._capped_timeout = _capped(timeout, retry)
        self._resolved: dict[RequestOptions, tuple[RetryPolicy, Timeout]] = {}
        # Every call sends its own X-Request-Id (kept across its retries): the server echoes
        # it, errors and logs carry it, and it finds the call in the server's logs.
        self._request_id_prefix = f"calbookings-{secrets.token_hex(4)}-"
        self._request_numbers = itertools.count(1)
        self._build_headers()

    def __repr__(self) -> str:
        return f"Session(base_url={self._base_url!r}, credentials={self._credentials!r})"

    # --- state read by the client ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The normalised base URL."""
        return self._base_url

    @property
    def rate_limits(self) -> Mapping[str, RateLimit]:
        """The latest report of every named rate limit, by lower-case name."""
        return self._rate_limits.as_mapping()

    @property
    def closed(self) -> bool:
        """Whether the transport has been closed."""
        return self._transport.closed

    async def aclose(self) -> None:
        """Close the transport."""
        await self._transport.aclose()

    # --- headers ----------------------------------------------------------------------------

    def _build_headers(self) -> None:
        base = {
            "Accept": "application/json",
            "User-Agent": user_agent(),
            "cal-api-version": self._api_version,
            **self._credentials.headers(),
        }
        # Built once (and again after a token refresh), never per request.
        self._headers_no_body = base
        self._headers_body = {**base, "Content-Type": "application/json"}

    # --- the call ---------------------------------------------------------------------------

    async def request(
        self,
        op: Operation,
        path: str,
        *,
        query: Query | None = None,
        body: Mapping[str, Any] | None = None,
        decode: Callable[[JSONObject], T],
        options: RequestOptions = _NO_OPTIONS,
    ) -> T:
        """Send one API call and return its decoded success envelope.

        Args:
            op: The operation: method, safety (decides what is retried), API version.
            path: Percent-encoded path below the base URL.
            query: Query parameters, already formatted as strings.
            body: JSON object body, or ``None``.
            decode: Turns the JSON object envelope of a 2xx response into the result.
            options: Per-call overrides of the retry policy and timeout.

        Returns:
            What ``decode`` returned.

        Raises:
            APIStatusError: The server answered with an error status (a subclass by status).
            TransportError: No response arrived (``RequestTimeout`` when it timed out).
            DecodeError: A 2xx response whose body is not a JSON object, or that ``decode``
                refused; it carries the response's method, URL, status and request id.
        """
        method = op.method
        operation = op.name
        idempotent = op.idempotent
        url = self._base_url + path
        if query:
            url += "?" + urlencode(query, quote_via=quote, safe="")
        data = None if body is None else orjson.dumps(body)
        request_id = self._request_id_prefix + str(next(self._request_numbers))
        if options is _NO_OPTIONS:
            policy, timeout = self._retry, self._capped_timeout
        else:
            policy, timeout = self._resolve(options)
        started = self._clock.monotonic()
        try:
            return await self._attempt(method, url, data, timeout, op, decode, request_id)
        except CalError as error:
            if policy.attempts <= 1 or not should_retry(
                error, idempotent=idempotent, policy=policy
            ):
                raise

            async def again(_attempt_number: int) -> T:
                timeout_left = self._time_left(timeout, policy, started)
                return await self._attempt(method, url, data, timeout_left, op, decode, request_id)

            return await retry_after_failure(
                error,
                again,
                policy=policy,
                idempotent=idempotent,
                clock=self._clock,
                started=started,
                operation=operation,
                method=method,
                url=url,
                rng=self._rng,
            )

    def _resolve(self, options: RequestOptions) -> tuple[RetryPolicy, Timeout]:
        """The policy and (deadline-capped) timeout a view's options give, cached per view."""
        resolved = self._resolved.get(options)
        if resolved is None:
            policy = options.retry or self._retry
            resolved = (policy, _capped(options.timeout or self._timeout, policy))
            if len(self._resolved) >= 256:  # views are usually few and long-lived
                self._resolved.clear()
            self._resolved[options] = resolved
        return resolved

    def _time_left(self, timeout: Timeout, policy: RetryPolicy, started: float) -> Timeout:
        """The attempt timeout, shortened so the attempt cannot run past the deadline."""
        if policy.deadline is None:
            return timeout
        left = policy.deadline - (self._clock.monotonic() - started)
        if timeout.total is not None and timeout.total <= left:
            return timeout
        return attrs.evolve(timeout, total=max(left, 0.001))

    async def _attempt(
        self,
        method: str,
        url: str,
        data: bytes | None,
        timeout: Timeout,
        op: Operation,
        decode: Callable[[JSONObject], T],
        request_id: str,
        *,
        refreshed: bool = False,
    ) -> T:
        generation = self._token_generation
        base = self._headers_no_body if data is None else self._headers_body
        headers = {**base, "X-Request-Id": request_id}
        # The pacer and then a concurrency slot, both before the transport starts the
        # timeout: waiting for the rate limit or for a slot never times a request out.
        pacer = self._pacer
        ticket = None
        if pacer is not None:
            ticket = pacer.try_acquire(op)
            if ticket is None:
                ticket = await pacer.acquire(op)
        status: int | None = None
        reported = None
        now = 0.0
        try:
            slots = self._slots
            if slots._free > 0 and not slots._waiters:
                slots._free -= 1  # try_acquire(), inlined: this runs for every request
            else:
                await slots.acquire()
            counter = CALL_ATTEMPTS.get()  # the bulk runner's per-item attempt count
            if counter is not None:
                counter[0] += 1
            try:
                response = await self._transport.send(method, url, headers, data, timeout)
            finally:
                slots.release()
            now = self._clock.monotonic()
            reported = parse_rate_limit_headers(response.raw_headers)
            if reported is not None:
                latest = self._rate_limits.latest  # RateLimitState.update(), inlined
                for name, entry in reported.items():
                    latest[name] = (entry, now)
            status = response.status
        finally:
            if pacer is not None:
                # Always, even when cancelled: the pacer counts requests in flight.
                pacer.release(ticket, status, reported)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d (%s, request id %s)",
                method,
                url,
                status,
                op.name,
                response.headers.get("X-Request-Id"),
            )
        if 200 <= status < 300:
            return self._success(response, method, url, decode)
        error = self._error(response, method, url, reported, now)
        if status == 498 and self._refresh is not None and not refreshed:
            await self._refresh_token(generation, error)
            return await self._attempt(
                method, url, data, timeout, op, decode, request_id, refreshed=True
            )
        raise error

    def _success(
        self,
        response: RawResponse,
        method: str,
        url: str,
        decode: Callable[[JSONObject], T],
    ) -> T:
        if response.too_large:
            raise _decode_error(
                response, method, url, "the response body is larger than max_response_bytes"
            )
        try:
            envelope = orjson.loads(response.body)
        except orjson.JSONDecodeError as problem:
            raise _decode_error(
                response,
                method,
                url,
                f"not valid JSON ({problem}): {_readable(response.body, '')!r}",
            ) from None
        if type(envelope) is not dict:
            raise _decode_error(response, method, url, "expected a JSON object envelope")
        if envelope.get("status") == "error":
            # A success status with an error envelope: treat it as the error it says it is.
            reported = parse_rate_limit_headers(response.raw_headers)
            raise self._error(response, method, url, reported, self._clock.monotonic())
        try:
            return decode(envelope)
        except DecodeError as error:
            # The decoder knows where in the body; the session knows which response.
            raise _decode_error(response, method, url, error.reason, error.path) from None

    def _error(
        self,
        response: RawResponse,
        method: str,
        url: str,
        reported: Reported | None,
        now: float,
    ) -> APIStatusError:
        status = response.status
        code: str | None = None
        message: str | None = None
        details: Any = None
        try:
            envelope = orjson.loads(response.body) if response.body else None
        except orjson.JSONDecodeError:
            envelope = None
        if isinstance(envelope, dict):
            inner = envelope.get("error")
            if isinstance(inner, dict):
                code = inner.get("code") if isinstance(inner.get("code"), str) else None
                message = _text(inner.get("message"))
                details = inner.get("details")
            else:
                # Nest's default body: {"statusCode": 500, "message": "Internal server error"}
                message = _text(envelope.get("message"))
                if isinstance(envelope.get("error"), str):
                    code = envelope["error"]
        if not message:
            if response.too_large:
                message = f"{response.reason}: the error body was too large to read"
            else:
                message = _readable(response.body, response.reason)
        cls = error_for_status(status)
        kwargs: dict[str, Any] = {
            "status_code": status,
            "message": message,
            "code": code,
            "details": details,
            "request_id": response.headers.get("X-Request-Id"),
            "method": method,
            "url": url,
            "rate_limits": to_public(reported, now),
            # 5xx: the handler may have run (503 means the server refused to start it).
            "may_have_been_applied": status >= 500 and status != 503,
        }
        if cls is RateLimitError:
            retry_after = largest_reset(reported)
            if retry_after is None:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return RateLimitError(retry_after=retry_after, **kwargs)
        return cls(**kwargs)

    async def _refresh_token(
        self, generation: int, error: TokenExpiredError | APIStatusError
    ) -> None:
        """Get a new access token once, however many calls saw the old one expire.

        Args:
            generation: ``_token_generation`` when the call sent the request that got the 498.
            error: That 498, raised (with the cause chained) when the refresh fails.

        Raises:
            TokenExpiredError: The callback raised, or returned something that is not a
                usable token. Calls whose requests went out before that refresh share its
                failure; calls made after it try the callback again.
        """
        assert self._refresh is not None
        async with self._refresh_lock:
            if generation != self._token_generation:
                # A refresh ran since this call's request went out: share its outcome.
                if self._refresh_problem is None:
                    return
                raise error from self._refresh_problem
            try:
                token = redacted(await self._refresh())
            except Exception as problem:
                self._refresh_done(problem)
                raise error from problem
            try:
                check_str("refresh_token", token)
            except InvalidArgumentError as unusable:
                refused = InvalidArgumentError(
                    "refresh_token",
                    f"the callback returned no usable access token: {unusable.problem}",
                )
                self._refresh_done(refused)
                raise error from refused
            self._credentials = attrs.evolve(self._credentials, token=token)
            self._build_headers()
            self._refresh_done(None)

    def _refresh_done(self, problem: BaseException | None) -> None:
        self._token_generation += 1
        self._refresh_problem = problem


def _capped(timeout: Timeout, policy: RetryPolicy) -> Timeout:
    """``timeout`` with its total shortened to the policy's deadline, if that is shorter."""
    deadline = policy.deadline
    if deadline is not None and (timeout.total is None or timeout.total > deadline):
        return attrs.evolve(timeout, total=deadline)
    return timeout


def _decode_error(
    response: RawResponse, method: str, url: str, reason: str, path: str = "$"
) -> DecodeError:
    return DecodeError(
        path,
        reason,
        status_code=response.status,
        request_id=response.headers.get("X-Request-Id"),
        method=method,
        url=url,
    )


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "; ".join(value)  # class-validator's default: a list of messages
    return None

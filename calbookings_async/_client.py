"""``CalBookings``: the client a user creates. Checks the configuration and wires the layers.

Construction validates everything (credentials, base URL, timeouts, limits) before any request,
so a misconfigured client fails at once with an error naming the argument. The client owns one
session, one transport and one connection pool; ``with_options`` gives views that share them
with different per-call defaults. It is an async context manager; ``aclose()`` releases the
pool (a caller-owned ``aiohttp.ClientSession`` is used, never closed).

Imports ``_bookings``, ``_organizations``, ``_session``, ``_transport``, ``_config`` and below.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

import attrs

from ._bookings import Bookings
from ._bulk import BulkReport, BulkRun, ItemT, Progress, ResultT
from ._config import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RESPONSE_BYTES,
    RetryPolicy,
    Timeout,
)
from ._errors import InvalidArgumentError, RateLimit
from ._organizations import Organizations
from ._pacing import Pacer, PacerBinding, default_pacer
from ._session import Credentials, RefreshToken, RequestOptions, Session
from ._transport import AiohttpTransport, normalize_base_url
from ._types import Clock, JSONObject, Operation, Query, SystemClock, redacted
from ._validate import check_clock, check_int, check_str

if TYPE_CHECKING:
    import aiohttp

__all__ = ["CalBookings"]

_API_KEY_PREFIX = "cal_"

T = TypeVar("T")


class _BoundRequester:
    """A ``Requester`` that sends every call with fixed per-call options."""

    __slots__ = ("_options", "_session")

    def __init__(self, session: Session, options: RequestOptions) -> None:
        self._session = session
        self._options = options

    async def request(
        self,
        operation: Operation,
        path: str,
        *,
        query: Query | None = None,
        body: Mapping[str, Any] | None = None,
        decode: Callable[[JSONObject], T],
    ) -> T:
        return await self._session.request(
            operation,
            path,
            query=query,
            body=body,
            decode=decode,
            options=self._options,
        )


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: Any) -> str:
    check_str("base_url", base_url)
    try:
        parts = urlsplit(base_url)
    except ValueError:  # "https://[::1" and the like
        raise InvalidArgumentError("base_url", "not a valid URL") from None
    if parts.scheme == "http":
        if not _is_loopback(parts.hostname or ""):
            raise InvalidArgumentError(
                "base_url",
                "plain http is refused (credentials would cross the network unencrypted); "
                "use https, or http only on a loopback host such as 127.0.0.1",
            )
    elif parts.scheme != "https":
        raise InvalidArgumentError("base_url", "must start with https://")
    if parts.path.rstrip("/").endswith("/v2"):
        raise InvalidArgumentError(
            "base_url",
            "leave out the /v2 (every path already starts with it): use https://api.cal.com",
        )
    return normalize_base_url(base_url)


def _credentials(
    api_key: str | None,
    access_token: str | None,
    client_id: str | None,
    secret_key: str | None,
) -> Credentials:
    given = [
        name
        for name, value in (
            ("api_key", api_key),
            ("access_token", access_token),
            ("client_id", client_id),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise InvalidArgumentError(
            given[1], f"give one kind of credential, not both {given[0]} and {given[1]}"
        )
    if client_id is not None or secret_key is not None:
        if client_id is None:
            raise InvalidArgumentError("client_id", "secret_key needs a client_id")
        if secret_key is None:
            raise InvalidArgumentError("secret_key", "client_id needs a secret_key")
        check_str("client_id", client_id)
        _check_secret("secret_key", secret_key)
        return Credentials(kind="client_credentials", client_id=client_id, secret_key=secret_key)
    if access_token is not None:
        _check_secret("access_token", access_token)
        return Credentials(kind="access_token", token=access_token)
    if api_key is None:
        api_key = redacted(os.environ.get("CAL_API_KEY"))
        if api_key is None:
            raise InvalidArgumentError(
                "api_key",
                "no credentials: pass api_key=, access_token= or client_id= and secret_key=, "
                "or set the CAL_API_KEY environment variable",
            )
    _check_secret("api_key", api_key)
    if not api_key.startswith(_API_KEY_PREFIX):
        raise InvalidArgumentError("api_key", f"a Cal.com API key starts with {_API_KEY_PREFIX!r}")
    return Credentials(kind="api_key", token=api_key)


def _credential_id(credentials: Credentials) -> str:
    """SHA-256 of the credential's kind and secret, in hex: names its budget, reveals nothing."""
    parts = (credentials.kind, credentials.token, credentials.client_id, credentials.secret_key)
    return hashlib.sha256("\0".join(part or "" for part in parts).encode()).hexdigest()


def _pacer(pacing: Any, credentials: Credentials, clock: Clock, timeout: Timeout) -> Pacer | None:
    """The client's pacer, bound to its credential (only the default pacer gets its clock)."""
    if pacing is True:
        pacer: Pacer = default_pacer(credentials.kind, clock)
    elif pacing is False or pacing is None:
        return None
    elif all(
        callable(getattr(pacing, name, None))
        for name in ("bind", "try_acquire", "acquire", "release")
    ):
        pacer = cast(Pacer, pacing)
    else:
        raise InvalidArgumentError(
            "pacing",
            "expected True, False or a Pacer (with bind, try_acquire, acquire and release),"
            f" got {type(pacing).__name__}",
        )
    pacer.bind(
        PacerBinding(
            credential_id=_credential_id(credentials),
            credential_kind=credentials.kind,
            attempt_timeout=timeout.total,
        )
    )
    return pacer


def _check_secret(argument: str, value: Any) -> None:
    # The value itself is never echoed back in the error.
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidArgumentError(argument, "must not be empty")
    if any(ch in value for ch in "\r\n\x00") or value != value.strip():
        raise InvalidArgumentError(argument, "must not contain whitespace or control characters")


class CalBookings:
    """An async client for the Cal.com API v2 bookings endpoints.

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with CalBookings(api_key="cal_live_...") as cal:
            booking = await cal.bookings.decline("booking_uid_123", reason="Host is ill")

    Args:
        api_key: A Cal.com API key (starts with ``cal_``). Defaults to the ``CAL_API_KEY``
            environment variable when no other credential is given.
        access_token: A managed-user access token (sent as ``Authorization: Bearer``).
        client_id: A platform OAuth client id (``x-cal-client-id``); needs ``secret_key``.
        secret_key: The OAuth client secret (``x-cal-secret-key``).
        base_url: The API's base URL. Plain ``http`` is refused unless the host is loopback.
        timeout: Per-attempt timeout: seconds for the whole attempt, or a :class:`Timeout`.
        retry: How failures are retried (:class:`RetryPolicy`).
        max_concurrency: Most requests in flight at once for this client.
        session: An ``aiohttp.ClientSession`` to send requests through. The client uses it but
            never closes it; without one, the client creates (and closes) its own pool.
        refresh_token: An async callable returning a new access token, called once when the
            server reports the current one expired (HTTP 498); the request is then repeated.
        max_response_bytes: Refuse response bodies larger than this.
        pacing: ``True`` (the default) holds requests back so that the client stays inside the
            server's rate limits, learning them from every response (:class:`AdaptivePacer`
            with Cal.com's budget for the credential kind: 120 requests per minute for an API
            key, 500 otherwise), on this client's clock. ``False`` turns pacing off. A
            :class:`Pacer` of your own (an ``AdaptivePacer`` with another budget, or a budget
            shared between processes: ``FilePacer``, ``RedisPacer``) is used as given, with
            its own clock, and bound to this client's credential (``Pacer.bind``).
        clock: Where time is read and waits happen (inject a fake one in tests).

    Raises:
        InvalidArgumentError: A missing or malformed credential, or any other bad argument.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        client_id: str | None = None,
        secret_key: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | Timeout = Timeout(),  # noqa: B008 - frozen value object
        retry: RetryPolicy | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        session: aiohttp.ClientSession | None = None,
        refresh_token: RefreshToken | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        pacing: bool | Pacer = True,
        clock: Clock | None = None,
    ) -> None:
        # Wrapped first, so that no traceback's locals can show them (see Redacted).
        api_key, access_token, secret_key = (
            redacted(api_key),
            redacted(access_token),
            redacted(secret_key),
        )
        credentials = _credentials(api_key, access_token, client_id, secret_key)
        url = _check_base_url(base_url)
        timeout_value = Timeout.of(timeout)
        if retry is None:
            retry = RetryPolicy()
        elif not isinstance(retry, RetryPolicy):
            raise InvalidArgumentError(
                "retry", f"expected a RetryPolicy, got {type(retry).__name__}"
            )
        check_int("max_concurrency", max_concurrency, minimum=1)
        check_int("max_response_bytes", max_response_bytes, minimum=1024)
        if refresh_token is not None:
            if not callable(refresh_token):
                raise InvalidArgumentError("refresh_token", "must be an async callable")
            if credentials.kind != "access_token":
                raise InvalidArgumentError(
                    "refresh_token", "only applies to access_token credentials"
                )
        clock = SystemClock() if clock is None else check_clock("clock", clock)
        pacer = _pacer(pacing, credentials, clock, timeout_value)
        transport = AiohttpTransport(
            session=session,
            pool_size=max_concurrency,
            max_response_bytes=max_response_bytes,
        )
        self._session = Session(
            transport=transport,
            base_url=url,
            credentials=credentials,
            retry=retry,
            timeout=timeout_value,
            max_concurrency=max_concurrency,
            clock=clock,
            api_version=DEFAULT_API_VERSION,
            refresh_token=refresh_token,
            pacer=pacer,
        )
        self._pacer = pacer
        self._retry = retry
        self._timeout = timeout_value
        self._credential_kind = credentials.kind
        self.bookings = Bookings(self._session)
        """The bookings endpoints (:class:`Bookings`)."""
        self.organizations = Organizations(self._session)
        """The organization-scoped bookings endpoints (:class:`Organizations`)."""

    @classmethod
    def _view(cls, parent: CalBookings, options: RequestOptions) -> CalBookings:
        view = cls.__new__(cls)
        view._session = parent._session
        view._retry = options.retry or parent._retry
        view._timeout = options.timeout or parent._timeout
        view._credential_kind = parent._credential_kind
        view._pacer = parent._pacer
        requester = _BoundRequester(parent._session, options)
        view.bookings = Bookings(requester)
        view.organizations = Organizations(requester)
        return view

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | Timeout | None = None,
        retry_unsafe: bool | None = None,
    ) -> CalBookings:
        """A view of this client with other defaults for the calls made through it.

        The view shares the connection pool, concurrency limit and rate-limit state; closing
        either closes both. Use it for one call
        (``await cal.with_options(retry_unsafe=True).bookings.create(...)``) or keep it.

        Args:
            retry: The retry policy for calls made through the view.
            timeout: The per-attempt timeout for calls made through the view.
            retry_unsafe: Shortcut: the current policy with ``retry_unsafe`` set.

        Returns:
            A new :class:`CalBookings` sharing this one's session.
        """
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidArgumentError(
                "retry", f"expected a RetryPolicy, got {type(retry).__name__}"
            )
        policy = retry or self._retry
        if retry_unsafe is not None:
            policy = attrs.evolve(policy, retry_unsafe=retry_unsafe)
        options = RequestOptions(
            retry=policy,
            timeout=None if timeout is None else Timeout.of(timeout),
        )
        return CalBookings._view(self, options)

    @property
    def base_url(self) -> str:
        """The base URL requests go to."""
        return self._session.base_url

    @property
    def pacer(self) -> Pacer | None:
        """The pacer holding requests within the rate limits (``None`` when pacing is off)."""
        return self._pacer

    @property
    def rate_limits(self) -> Mapping[str, RateLimit]:
        """The latest report of every named rate limit, by lower-case name (``"default"``)."""
        return self._session.rate_limits

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._session.closed

    async def aclose(self) -> None:
        """Close the connection pool at once; closing again does nothing.

        Calls made afterwards raise :class:`ClientClosedError` without sending anything
        (``may_have_been_applied`` false). Calls still in flight are not waited for: their
        connections are closed, and they raise :class:`ClientClosedError` with
        ``may_have_been_applied`` true when their request was already sent (false when it was
        still waiting for the rate limit or a concurrency slot). They are never retried. To let
        them finish, await them (or the bulk run) before closing.
        """
        await self._session.aclose()

    async def __aenter__(self) -> CalBookings:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # Safe on a half-built client too (a traceback rendering __init__'s locals calls it).
        session = getattr(self, "_session", None)
        base_url = None if session is None else session.base_url
        kind = getattr(self, "_credential_kind", None)
        return f"CalBookings(base_url={base_url!r}, credentials={kind!r})"

    # --- bulk runs -----------------------------------------------------------------------------

    def bulk(
        self,
        items: Iterable[ItemT] | AsyncIterable[ItemT],
        operation: Callable[[ItemT], Awaitable[ResultT]],
        *,
        concurrency: int = 20,
        stop_on_error: bool = False,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> BulkRun[ItemT, ResultT]:
        """Run ``operation`` over every item, ``concurrency`` at a time, one outcome per item.

        Nothing is sent until the run is iterated (or collected). Items are taken from the
        source lazily, one per free slot; outcomes come in completion order::

            run = cal.bulk(uids, lambda uid: cal.bookings.cancel(uid, reason="Closed"))
            async with run:
                async for outcome in run:
                    if not outcome.ok:
                        print(outcome.item, outcome.error)
            again = run.retry_items()    # failed + unfinished, for a new run

        The calls go through this client, so they share its connection pool, concurrency
        limit, retries and pacing.

        Args:
            items: Any iterable or async iterable (a list, a generator, a file's lines, a
                listing), read lazily.
            operation: An async function of one item (usually a lambda calling ``cal``).
            concurrency: Most items in flight at once.
            stop_on_error: Start no new item after the first failure (those in flight
                finish; the rest are unfinished).
            on_progress: Called with a :class:`Progress` after each item finishes.

        Returns:
            A :class:`BulkRun`: iterate it for :class:`Outcome` objects, or ``await
            run.collect()`` for a :class:`BulkReport`.

        Raises:
            InvalidArgumentError: ``concurrency`` is not a positive integer, or ``operation``
                is not callable.
        """
        return BulkRun(
            items,
            operation,
            concurrency=concurrency,
            stop_on_error=stop_on_error,
            on_progress=on_progress,
        )

    async def bulk_all(
        self,
        items: Iterable[ItemT] | AsyncIterable[ItemT],
        operation: Callable[[ItemT], Awaitable[ResultT]],
        *,
        concurrency: int = 20,
        stop_on_error: bool = False,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> BulkReport[ItemT, ResultT]:
        """Run ``operation`` over every item (see :meth:`bulk`) and return the whole report.

        Returns:
            A :class:`BulkReport` with every :class:`Outcome`, the unfinished items, the wall
            time and the rate. ``report.retry_items()`` feeds a new run.

        Raises:
            InvalidArgumentError: A bad argument (see :meth:`bulk`).
        """
        run = self.bulk(
            items,
            operation,
            concurrency=concurrency,
            stop_on_error=stop_on_error,
            on_progress=on_progress,
        )
        return await run.collect()

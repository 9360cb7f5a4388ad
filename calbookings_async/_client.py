"""``CalBookings``: the client a user creates. Reads the configuration once and wires the layers.

Construction checks everything (credentials, base URL, timeouts, limits, the environment)
before any request, so a misconfigured client fails at once with an error naming the argument or
environment variable. One construction path, :meth:`CalBookings._attach`, serves the client and
every view ``with_options`` makes: a view shares the client's core (session, transport, pacer)
and holds its own resolved :class:`CallOptions`, inheriting whatever it does not set, however
deep the chain.

The environment, read once at construction (like httpx's ``trust_env``): ``CAL_API_KEY``,
``CAL_BASE_URL``, ``CAL_LOG`` (``debug`` or ``info``: log the SDK's lines to stderr),
``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY``, and ``SSL_CERT_FILE``/``SSL_CERT_DIR``; with
``trust_env=False`` only the first three are.

Imports ``_bookings``, ``_organizations``, ``_bulk``, ``_session``, ``_transport``, ``_pacing``,
``_auth``, ``_config`` and below.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl as ssl_module
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

import attrs

from ._auth import Auth, Credentials, RefreshToken, credentials_from
from ._bookings import Bookings
from ._bulk import BulkReport, BulkRun, ItemT, Progress, ResultT
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RESPONSE_BYTES,
    RetryPolicy,
    Timeout,
)
from ._errors import InvalidArgumentError, RateLimit
from ._journal import Journal
from ._organizations import Organizations
from ._pacing import Pacer, PacerBinding, default_pacer
from ._session import CallOptions, Session
from ._transport import AiohttpTransport, aiohttp_version, normalize_base_url
from ._types import (
    Clock,
    JSONObject,
    Operation,
    Query,
    SystemClock,
    Transport,
    redacted,
)
from ._validate import check_bool, check_clock, check_int, check_str

if TYPE_CHECKING:
    import aiohttp

__all__ = ["CalBookings"]

T = TypeVar("T")

_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


class _BoundRequester:
    """A ``Requester`` that sends every call with one view's options."""

    __slots__ = ("_options", "_session")

    def __init__(self, session: Session, options: CallOptions) -> None:
        self._session = session
        self._options = options

    def request(
        self,
        operation: Operation,
        path: str,
        *,
        query: Query | None = None,
        body: Mapping[str, Any] | None = None,
        decode: Callable[[JSONObject], T],
    ) -> Coroutine[Any, Any, T]:
        # The session's coroutine itself, not one wrapping it: one frame less on every call.
        return self._session.request(
            operation, path, query=query, body=body, decode=decode, options=self._options
        )


@attrs.frozen
class _Core:
    """What a client and all its views share."""

    session: Session
    pacer: Pacer | None
    credential_kind: str


# --- reading the configuration -------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: Any, argument: str = "base_url") -> str:
    check_str(argument, base_url)
    try:
        parts = urlsplit(base_url)
    except ValueError:  # "https://[::1" and the like
        raise InvalidArgumentError(argument, "not a valid URL") from None
    if parts.scheme == "http":
        if not _is_loopback(parts.hostname or ""):
            raise InvalidArgumentError(
                argument,
                "plain http is refused (credentials would cross the network unencrypted); "
                "use https, or http only on a loopback host such as 127.0.0.1",
            )
    elif parts.scheme != "https":
        raise InvalidArgumentError(argument, "must start with https://")
    if parts.path.rstrip("/").endswith("/v2"):
        raise InvalidArgumentError(
            argument,
            "leave out the /v2 (every path already starts with it): use https://api.cal.com",
        )
    try:
        return normalize_base_url(base_url)
    except InvalidArgumentError as error:
        raise InvalidArgumentError(argument, error.problem) from None


def _env(name: str) -> str | None:
    """An environment variable, upper or lower case (``HTTPS_PROXY`` or ``https_proxy``).

    Read where used: no frame keeps ``os.environ`` as a local, so a traceback rendered with its
    locals never shows the environment (``CAL_API_KEY`` is in it).
    """
    return os.environ.get(name) or os.environ.get(name.lower()) or None


def _setup_logging() -> None:
    """``CAL_LOG=debug|info``: the SDK's log lines go to stderr at that level (set up once)."""
    value = (_env("CAL_LOG") or "").strip().lower()
    if not value:
        return
    level = _LOG_LEVELS.get(value)
    if level is None:
        raise InvalidArgumentError("CAL_LOG", f"expected debug or info, got {value!r}")
    logger = logging.getLogger("calbookings_async")
    if not any(getattr(h, "_calbookings_env", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        handler._calbookings_env = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)


def _proxy_for(base_url: str, trust_env: bool) -> str | None:
    """The proxy for ``base_url`` from ``HTTPS_PROXY``/``ALL_PROXY`` unless ``NO_PROXY`` says no.

    Plain http (loopback only) never goes through a proxy: the credential would cross to it in
    clear text. An https request goes through a CONNECT tunnel, so the proxy sees only the host.
    """
    parts = urlsplit(base_url)
    if not trust_env or parts.scheme != "https":
        return None
    name = "HTTPS_PROXY" if _env("HTTPS_PROXY") else "ALL_PROXY"
    proxy = _env("HTTPS_PROXY") or _env("ALL_PROXY")
    if proxy is None or _bypassed(parts.hostname or ""):
        return None
    proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if proxy_parts.scheme not in ("http", "https") or not proxy_parts.hostname:
        raise InvalidArgumentError(name, "expected a proxy URL such as http://proxy.example:3128")
    return proxy_parts.geturl()


def _bypassed(host: str) -> bool:
    """Whether ``NO_PROXY`` (comma-separated hosts, ``.domain`` suffixes, IP networks, ``*``)
    names ``host``."""
    host = host.lower().strip("[]")
    for raw in (_env("NO_PROXY") or "").split(","):
        entry = raw.strip().lower()
        if entry == "*":
            return True
        if entry.startswith("["):
            entry = entry[1:].split("]")[0]
        elif entry.count(":") == 1:
            entry = entry.split(":")[0]  # a port
        entry = entry.lstrip(".")
        if not entry:
            continue
        if host == entry or host.endswith("." + entry):
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _ssl_for(base_url: str, ssl: Any, trust_env: bool) -> ssl_module.SSLContext | bool:
    """The TLS context: the caller's, or one from ``SSL_CERT_FILE``/``SSL_CERT_DIR``, or default."""
    if isinstance(ssl, ssl_module.SSLContext):
        return ssl
    if ssl is False:
        if not _is_loopback(urlsplit(base_url).hostname or ""):
            raise InvalidArgumentError(
                "ssl", "False (no certificate check) is only allowed for a loopback host"
            )
        return False
    if ssl is not None and ssl is not True:
        raise InvalidArgumentError(
            "ssl", f"expected an ssl.SSLContext, True or False, got {type(ssl).__name__}"
        )
    cafile = _env("SSL_CERT_FILE") if trust_env else None
    capath = _env("SSL_CERT_DIR") if trust_env else None
    if not cafile and not capath:
        return True
    try:
        return ssl_module.create_default_context(cafile=cafile or None, capath=capath or None)
    except (OSError, ssl_module.SSLError) as error:
        name = "SSL_CERT_FILE" if cafile else "SSL_CERT_DIR"
        raise InvalidArgumentError(
            name, f"cannot load certificates from {cafile or capath!r}: {error}"
        ) from None


def _check_journal(journal: Any) -> Journal | None:
    """A journal for idempotency keys, or ``None``; anything else is refused naming it."""
    if journal is None:
        return None
    missing = [n for n in ("claim", "record", "wait") if not callable(getattr(journal, n, None))]
    if missing:
        raise InvalidArgumentError(
            "journal",
            f"expected a Journal (MemoryJournal, SQLiteJournal, RedisJournal), got"
            f" {type(journal).__name__}",
        )
    return cast(Journal, journal)


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
            credential_id=credentials.identity,
            credential_kind=credentials.kind,
            attempt_timeout=timeout.total,
        )
    )
    return pacer


def _check_retry(retry: Any) -> RetryPolicy:
    if retry is None:
        return RetryPolicy()
    if not isinstance(retry, RetryPolicy):
        raise InvalidArgumentError("retry", f"expected a RetryPolicy, got {type(retry).__name__}")
    return retry


def _resolve_base_url(base_url: str | None) -> str:
    """The base URL given, else ``CAL_BASE_URL`` from the environment, else Cal.com's."""
    if base_url is None:
        return _check_base_url(_env("CAL_BASE_URL") or DEFAULT_BASE_URL, "CAL_BASE_URL")
    return _check_base_url(base_url)


def _client_options(
    retry: RetryPolicy | None, timeout: float | Timeout, settle: bool, journal: Journal | None
) -> CallOptions:
    """A client's call options from its arguments, each checked."""
    check_bool("settle", settle)
    return CallOptions(
        retry=_check_retry(retry),
        timeout=Timeout.of(timeout),
        settle=settle,
        journal=_check_journal(journal),
    )


def _transport(
    transport: Any,
    session: aiohttp.ClientSession | None,
    *,
    base_url: str,
    max_concurrency: int,
    max_response_bytes: int,
    ssl: Any,
    trust_env: bool,
) -> Transport:
    if transport is None:
        return AiohttpTransport(
            session=session,
            pool_size=max_concurrency,
            max_response_bytes=max_response_bytes,
            proxy=_proxy_for(base_url, trust_env),
            ssl=_ssl_for(base_url, ssl, trust_env),
        )
    if session is not None:
        raise InvalidArgumentError("session", "give a transport or a session, not both")
    if not all(callable(getattr(transport, name, None)) for name in ("send", "aclose")):
        raise InvalidArgumentError(
            "transport",
            f"expected a Transport (with send and aclose), got {type(transport).__name__}",
        )
    return cast(Transport, transport)


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
        base_url: The API's base URL; defaults to ``CAL_BASE_URL``, else ``https://api.cal.com``.
            Plain ``http`` is refused unless the host is loopback.
        timeout: Per-attempt timeout: seconds for the whole attempt, or a :class:`Timeout`.
        retry: How failures are retried (:class:`RetryPolicy`). Its ``deadline`` bounds the whole
            call, waits for the rate limit and for a free slot included.
        max_concurrency: Most requests in flight at once for this client.
        session: An ``aiohttp.ClientSession`` to send requests through. The client uses it but
            never closes it; without one, the client creates (and closes) its own pools, which
            check kept-alive connections and send unsafe writes on fresh connections.
        transport: A :class:`~calbookings_async.Transport` to send requests through instead of
            aiohttp (``calbookings_async.testing.MockTransport`` in unit tests).
        refresh_token: An async callable returning a new access token, called once when the
            server reports the current one expired (HTTP 498); the request is then repeated.
        max_response_bytes: Refuse response bodies larger than this, unread (2 MiB by default).
        pacing: ``True`` (the default) holds requests back so that the client stays inside the
            server's rate limits, learning them from every response (:class:`AdaptivePacer`
            with Cal.com's budget for the credential kind: 120 requests per minute for an API
            key, 500 otherwise). ``False`` turns pacing off. A :class:`Pacer` of your own (an
            ``AdaptivePacer`` with another budget, or a budget shared between processes) is
            used as given.
        clock: Where time is read and waits happen (inject a fake one in tests).
        trust_env: Read ``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY`` and
            ``SSL_CERT_FILE``/``SSL_CERT_DIR`` from the environment (as httpx does).
        ssl: An ``ssl.SSLContext`` to verify the server with, or ``False`` to skip verification
            (allowed for loopback hosts only).
        settle: When ``cancel``, ``decline``, ``confirm``, ``mark_absent`` or
            ``request_reschedule`` ends uncertain (``may_have_been_applied``), read the booking
            back and return it (:attr:`Booking.settled` true) if it is in the state asked for.
        journal: Where idempotency keys are kept: a :class:`SQLiteJournal` (one machine), a
            ``RedisJournal`` (many machines) or a :class:`MemoryJournal` (one process). With
            one, ``create``, ``reschedule``, ``add_guests``, ``add_attendee`` and ``reassign``
            take ``idempotency_key=`` and make their write once per key. ``None`` (the
            default): keys are refused. The client does not close the journal.

    Raises:
        InvalidArgumentError: A missing or malformed credential, or any other bad argument or
            environment variable (named in the error).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        client_id: str | None = None,
        secret_key: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout = Timeout(),  # noqa: B008 - frozen value object
        retry: RetryPolicy | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        refresh_token: RefreshToken | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        pacing: bool | Pacer = True,
        clock: Clock | None = None,
        trust_env: bool = True,
        ssl: ssl_module.SSLContext | bool | None = None,
        settle: bool = True,
        journal: Journal | None = None,
    ) -> None:
        # Wrapped first, so that no traceback's locals can show them (see Redacted).
        api_key, access_token = redacted(api_key), redacted(access_token)
        secret_key = redacted(secret_key)
        _setup_logging()
        credentials = credentials_from(
            api_key=api_key,
            access_token=access_token,
            client_id=client_id,
            secret_key=secret_key,
        )
        url = _resolve_base_url(base_url)
        options = _client_options(retry, timeout, settle, journal)
        check_int("max_concurrency", max_concurrency, minimum=1)
        check_int("max_response_bytes", max_response_bytes, minimum=1024)
        clock = SystemClock() if clock is None else check_clock("clock", clock)
        pacer = _pacer(pacing, credentials, clock, options.timeout)
        sender = _transport(
            transport,
            session,
            base_url=url,
            max_concurrency=max_concurrency,
            max_response_bytes=max_response_bytes,
            ssl=ssl,
            trust_env=trust_env,
        )
        session_layer = Session(
            transport=sender,
            base_url=url,
            auth=Auth(credentials, refresh_token),
            clock=clock,
            max_concurrency=max_concurrency,
            options=options,
            pacer=pacer,
            http_client=f"aiohttp {aiohttp_version}",
        )
        self._attach(_Core(session_layer, pacer, credentials.kind), options)

    def _attach(self, core: _Core, options: CallOptions) -> None:
        """Wire this client (or view) to ``core`` with ``options``: the one construction path."""
        self._core = core
        self._options = options
        session = core.session
        # The client itself calls the session directly (its options are the session's); a view
        # goes through a requester bound to its own options.
        requester = session if options is session.options else _BoundRequester(session, options)
        self.bookings = Bookings(
            requester,
            settle=options.settle,
            journal=options.journal,
            wait=options.retry.deadline,
        )
        """The bookings endpoints (:class:`Bookings`)."""
        self.organizations = Organizations(requester)
        """The organization-scoped bookings endpoints (:class:`Organizations`)."""

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | Timeout | None = None,
        retry_unsafe: bool | None = None,
        settle: bool | None = None,
        journal: Journal | None = None,
    ) -> CalBookings:
        """A view of this client with other defaults for the calls made through it.

        The view shares the connection pool, concurrency limit, pacing and rate-limit state;
        closing either closes both. It inherits every option it does not set, from this client
        or view, however long the chain. Use it for one call
        (``await cal.with_options(retry_unsafe=True).bookings.create(...)``) or keep it.

        Args:
            retry: The retry policy for calls made through the view.
            timeout: The per-attempt timeout for calls made through the view.
            retry_unsafe: Shortcut: the retry policy in force with ``retry_unsafe`` set.
            settle: Whether uncertain state-setting writes are settled by reading the
                booking back (see :attr:`Booking.settled`).
            journal: The journal that keeps the idempotency keys of calls made through the
                view.

        Returns:
            A new :class:`CalBookings` sharing this one's session.
        """
        policy = self._options.retry if retry is None else _check_retry(retry)
        if retry_unsafe is not None:
            policy = attrs.evolve(policy, retry_unsafe=retry_unsafe)
        if settle is not None:
            check_bool("settle", settle)
        options = CallOptions(
            retry=policy,
            timeout=self._options.timeout if timeout is None else Timeout.of(timeout),
            settle=self._options.settle if settle is None else settle,
            journal=self._options.journal if journal is None else _check_journal(journal),
        )
        view = CalBookings.__new__(CalBookings)
        view._attach(self._core, options)
        return view

    @property
    def options(self) -> CallOptions:
        """The retry policy and timeout every call through this client (or view) is made with."""
        return self._options

    @property
    def base_url(self) -> str:
        """The base URL requests go to."""
        return self._core.session.base_url

    @property
    def pacer(self) -> Pacer | None:
        """The pacer holding requests within the rate limits (``None`` when pacing is off)."""
        return self._core.pacer

    @property
    def requests_sent(self) -> int:
        """HTTP requests this client (with all its views) has handed to the network so far,
        retries and token refreshes included."""
        return self._core.session.attempts

    @property
    def requests_in_flight(self) -> int:
        """Requests this client (with all its views) has handed to the network and not yet had
        answered: the concurrency slots taken right now, at most ``max_concurrency``."""
        slots = self._core.session.slots
        return slots.size - slots.free

    @property
    def requests_queued(self) -> int:
        """Calls waiting right now for a free concurrency slot (all ``max_concurrency`` are
        taken). Calls the pacer holds back are counted in ``pacer.stats.waiting``."""
        return self._core.session.slots.waiting

    @property
    def rate_limits(self) -> Mapping[str, RateLimit]:
        """The latest report of every named rate limit, by lower-case name (``"default"``)."""
        return self._core.session.rate_limits

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called (on this client or any of its views)."""
        return self._core.session.closed

    async def aclose(self) -> None:
        """Close the connection pool at once; closing again does nothing.

        A closed client cannot be reopened: create a new :class:`CalBookings`. Calls made
        afterwards raise :class:`ClientClosedError` without sending anything
        (``may_have_been_applied`` false). Calls still in flight are not waited for: their
        connections are closed, and they raise :class:`ClientClosedError` with
        ``may_have_been_applied`` true when their request was already sent (false when it was
        still waiting for the rate limit or a concurrency slot). They are never retried. To let
        them finish, await them (or the bulk run) before closing.
        """
        await self._core.session.aclose()

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
        core = getattr(self, "_core", None)
        if core is None:
            return "CalBookings(<not built>)"
        return (
            f"CalBookings(base_url={core.session.base_url!r}, credentials={core.credential_kind!r})"
        )

    # --- bulk runs -----------------------------------------------------------------------------

    def bulk(
        self,
        items: Iterable[ItemT] | AsyncIterable[ItemT],
        operation: Callable[[ItemT], Awaitable[ResultT]],
        *,
        concurrency: int = 20,
        stop_on_error: bool = False,
        on_progress: Callable[[Progress], object] | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        key: Callable[[ItemT], str] | None = None,
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
        limit, retries and pacing. An ``AuthenticationError`` (401), ``PermissionDeniedError``
        (403) or ``ClientClosedError`` stops the run (no new item starts, those in flight
        finish) and ``run.stop_reason`` says why.

        Args:
            items: Any iterable or async iterable (a list, a generator, a file's lines, a
                listing), read lazily.
            operation: An async function of one item (usually a lambda calling ``cal``).
            concurrency: Most items in flight at once.
            stop_on_error: Start no new item after the first failure (those in flight
                finish; the rest are unfinished).
            on_progress: Called with a :class:`Progress` after each item finishes.
            journal: Record each item's outcome there (under ``bulk:<key>``), so that the same
                items run again with the same journal (after a crash, a kill or a cancel)
                skip the items done, settle the items left in flight and send the rest
                (:attr:`Outcome.skipped`, :attr:`Outcome.settled`; counted in the report). A
                path names a SQLite file, opened by the run and closed when it ends.
            key: The journal key of an item (a non-empty string identifying it, such as its
                job id). Defaults to the item itself when it is a string.

        Returns:
            A :class:`BulkRun`: iterate it for :class:`Outcome` objects, or ``await
            run.collect()`` for a :class:`BulkReport`.

        Raises:
            InvalidArgumentError: ``concurrency`` is not a positive integer, ``operation`` is
                not callable, or ``key`` is given without a journal or is not callable. (An
                item that is not a string, with no ``key``, stops the run at that item with
                an ``InvalidArgumentError`` naming ``key``.)
        """
        return BulkRun(
            items,
            operation,
            concurrency=concurrency,
            stop_on_error=stop_on_error,
            on_progress=on_progress,
            attempt_hooks=self._core.session.attempt_hooks,
            journal=journal,
            key=key,
        )

    async def bulk_all(
        self,
        items: Iterable[ItemT] | AsyncIterable[ItemT],
        operation: Callable[[ItemT], Awaitable[ResultT]],
        *,
        concurrency: int = 20,
        stop_on_error: bool = False,
        on_progress: Callable[[Progress], object] | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        key: Callable[[ItemT], str] | None = None,
    ) -> BulkReport[ItemT, ResultT]:
        """Run ``operation`` over every item (see :meth:`bulk`) and return the whole report.

        Returns:
            A :class:`BulkReport` with every :class:`Outcome`, the unfinished items, the wall
            time and the rate. ``report.retry_items()`` feeds a new run.

        Raises:
            InvalidArgumentError: A bad argument (see :meth:`bulk`), or ``operation``
                returned something that is not awaitable (a plain function).
        """
        run = self.bulk(
            items,
            operation,
            concurrency=concurrency,
            stop_on_error=stop_on_error,
            on_progress=on_progress,
            journal=journal,
            key=key,
        )
        return await run.collect()

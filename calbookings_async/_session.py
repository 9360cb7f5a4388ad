"""One API call: the request, its attempts under one timer, the retry loop and the final error.

``Session.request(operation, path, ...)`` returns what the endpoint's decoder makes of the
success envelope, or raises a typed error. It knows the API's conventions (headers and auth,
the ``cal-api-version`` of each operation, the envelopes, the rate-limit headers) but nothing of
bookings: a new resource needs no change here.

A call, top to bottom (:meth:`Session.request`):

1. The first attempt, on the hot path: the pacer's permission, a concurrency slot, the
   transport's exchange, the answer read by ``_responses``. Nothing is allocated for retries.
2. If it failed, the retry loop (:meth:`Session._recover`): an expired access token is
   refreshed and the request repeated (once, as a step of the loop); otherwise the retry table
   (``_retry``) says whether the failure is retried at all, and a :class:`RetryBudget` says how
   long to wait first, or that the attempts, the deadline or the rate-limit cap are used up.
3. Whatever error ends the call goes through :meth:`Session._final`, the one place that decides
   ``may_have_been_applied`` (from this attempt and every earlier one).

Time: each attempt's timeout starts when the request is handed to the transport (waiting for the
rate limit or a slot never times a request out) and is cut short by the call's deadline. The
deadline itself bounds the whole call, waits included, whatever the transport does: a
:class:`~calbookings_async._deadlines.DeadlineWatch` (one timer per client) cancels a call that
outlives it, and the call raises ``RequestTimeout``. A call that neither waits nor retries is
bounded by its one attempt's timeout (cut to the deadline) and never enters the watch.

This module imports ``_responses``, ``_retry``, ``_ratelimit``, ``_pacing``, ``_slots``,
``_deadlines``, ``_auth``, ``_config``, ``_errors`` and ``_types``; never aiohttp or tenacity.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import secrets
import sys
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode

import attrs
import orjson

from ._auth import Auth
from ._config import SDK_VERSION, RetryPolicy, Timeout
from ._deadlines import DeadlineWatch
from ._errors import (
    AnswerMismatch,
    CalError,
    RateLimit,
    RequestTimeout,
    TokenExpiredError,
    TransportError,
)
from ._journal import Journal
from ._pacing import Pacer
from ._ratelimit import RateLimitState, parse_rate_limit_headers
from ._responses import read_answer
from ._retry import RetryBudget, announce, may_have_applied, should_retry
from ._slots import ConcurrencySlots
from ._types import (
    Clock,
    JSONObject,
    Operation,
    Query,
    RawRequest,
    RawResponse,
    Transport,
    fresh_step,
)

__all__ = ["CallOptions", "Session", "user_agent"]

logger = logging.getLogger("calbookings_async")

T = TypeVar("T")


def user_agent(http_client: str) -> str:
    """The ``User-Agent`` the SDK sends: its name and version, Python's and the HTTP client's."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    return f"calbookings-async/{SDK_VERSION} (python {python}; {http_client})"


@attrs.frozen(kw_only=True)
class CallOptions:
    """The options every call of a client (or of one of its views) is made with, resolved.

    Attributes:
        retry: The retry policy.
        timeout: The per-attempt timeout.
        settle: Whether an uncertain state-setting write is settled by reading the booking
            back (the endpoints read it; the session only carries it).
        journal: Where the idempotency keys of unsafe writes are kept (``None``: keys are
            refused); the endpoints use it, the session only carries it.
    """

    retry: RetryPolicy
    timeout: Timeout
    settle: bool = True
    journal: Journal | None = None


class _Call(Generic[T]):
    """One call in progress: what it sends, and what its attempts so far have told.

    The class attributes are the state of a call that has not failed yet; they are set on the
    instance only when they change (the first attempt of most calls changes none of them).
    """

    #: Attempts handed to the transport so far.
    attempts = 0
    #: Whether an attempt before the latest may have been applied.
    earlier_applied = False
    #: Whether an attempt is with the transport right now.
    sending = False
    #: The loop time by which the whole call must end, or ``None``.
    deadline: float | None = None
    #: The task the deadline watch holds for this call, once it watches it (see ``_watch``).
    watched: asyncio.Task[object] | None = None

    def __init__(
        self,
        operation: Operation,
        request: RawRequest,
        decode: Callable[[JSONObject], T],
        options: CallOptions,
        started: float,
        generation: int,
    ) -> None:
        self.operation = operation
        #: What the next attempt hands the transport.
        self.request = request
        self.decode = decode
        self.options = options
        self.started = started
        #: The auth generation ``request``'s headers were built with.
        self.generation = generation


class Session:
    """Makes API calls for one client (and its views). Implements the ``Requester`` protocol.

    Args:
        transport: Sends the HTTP requests.
        base_url: Normalised base URL (no trailing slash).
        auth: The credentials, and their refresh.
        clock: Where time is read and retry waits happen.
        max_concurrency: Most requests in flight at once.
        options: The client's options, for calls made without options of their own.
        pacer: Holds each attempt until the rate limits allow it, and learns from each
            response (``None``: no pacing).
        http_client: Named in the ``User-Agent``.
    """

    def __init__(
        self,
        *,
        transport: Transport,
        base_url: str,
        auth: Auth,
        clock: Clock,
        max_concurrency: int,
        options: CallOptions,
        pacer: Pacer | None = None,
        http_client: str = "",
    ) -> None:
        self.options = options
        self._transport = transport
        self._base_url = base_url
        self._auth = auth
        self._clock = clock
        self._pacer = pacer
        self._slots = ConcurrencySlots(max_concurrency)
        self._deadlines = DeadlineWatch()
        # A transport that ends every send by its total timeout bounds a first attempt that
        # waits for nothing; any other is watched from the start of every call.
        self._watch_always = not getattr(transport, "enforces_timeouts", False)
        self._rate_limits = RateLimitState()
        self._rng = random.Random()
        self._user_agent = user_agent(http_client)
        #: Called before every attempt that is handed to the transport (the bulk runner counts
        #: attempts per item this way).
        self.attempt_hooks: list[Callable[[], object]] = []
        #: Attempts handed to the transport so far, by every call.
        self.attempts = 0
        # (API version, has a body) -> headers; rebuilt when the auth generation changes.
        self._headers: dict[tuple[str, bool], dict[str, str]] = {}
        self._headers_generation = -1
        # Every call sends its own X-Request-Id (kept across its retries), for proxies' logs.
        # The server answers with an id of its own, which errors carry.
        self._request_id_prefix = f"calbookings-{secrets.token_hex(4)}-"
        self._request_numbers = itertools.count(1)

    def __repr__(self) -> str:
        return f"Session(base_url={self._base_url!r}, auth={self._auth!r})"

    # --- state read by the client -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The normalised base URL."""
        return self._base_url

    @property
    def rate_limits(self) -> Mapping[str, RateLimit]:
        """The latest report of every named limit, by lower-case name."""
        return self._rate_limits.as_mapping()

    @property
    def slots(self) -> ConcurrencySlots:
        """The concurrency slots of this client."""
        return self._slots

    @property
    def closed(self) -> bool:
        """Whether the transport has been closed."""
        return self._transport.closed

    async def aclose(self) -> None:
        """Close the transport and stop the deadline timer (it would keep the session alive)."""
        self._deadlines.close()
        await self._transport.aclose()

    # --- the call -----------------------------------------------------------------------------

    async def request(
        self,
        operation: Operation,
        path: str,
        *,
        query: Query | None = None,
        body: Mapping[str, Any] | None = None,
        decode: Callable[[JSONObject], T],
        options: CallOptions | None = None,
    ) -> T:
        """Send one API call and return its decoded success envelope.

        Args:
            operation: The operation: method, safety (decides what is retried), API version.
            path: Percent-encoded path below the base URL.
            query: Query parameters, already formatted as strings.
            body: JSON object body, or ``None``.
            decode: Turns the JSON object envelope of a 2xx response into the result.
            options: The retry policy and timeout of this call (``None``: the client's).

        Returns:
            What ``decode`` returned.

        Raises:
            APIStatusError: The server answered with an error status (a subclass by status).
            TransportError: No response arrived (``RequestTimeout`` when it timed out).
            DecodeError: A 2xx response whose body is not a JSON object, or that ``decode``
                refused; it carries the response's method, URL, status and request id.
        """
        call = self._call(operation, path, query, body, decode, options or self.options)
        if self._watch_always:
            self._watch(call)
        try:
            try:
                return await self._attempt(call)
            except CalError as error:
                failure = error
            # Outside the except block: a retry's error never has the first as its context.
            self._watch(call)
            return await self._recover(call, failure)
        except asyncio.CancelledError:
            if not self._deadlines.expired(call.watched):
                raise
        finally:
            if call.watched is not None:
                self._deadlines.forget(call.watched)
        await fresh_step()  # Python 3.10: not in the context of the cancellation
        raise self._final(call, self._timed_out(call))

    def _call(
        self,
        operation: Operation,
        path: str,
        query: Query | None,
        body: Mapping[str, Any] | None,
        decode: Callable[[JSONObject], T],
        options: CallOptions,
    ) -> _Call[T]:
        url = self._base_url + path
        if query:
            url += "?" + urlencode(query, quote_via=quote, safe="")
        data = None if body is None else orjson.dumps(body)
        request_id = self._request_id_prefix + str(next(self._request_numbers))
        timeout = options.timeout
        request = RawRequest(
            operation.method,
            url,
            self._headers_for(operation, data is not None, request_id),
            data,
            not operation.pooled,
            timeout.total,
            timeout.connect,
            timeout.read,
            operation.name,
            request_id,
        )
        call = _Call(
            operation, request, decode, options, self._clock.monotonic(), self._auth.generation
        )
        deadline = options.retry.deadline
        if deadline is not None:
            call.deadline = asyncio.get_running_loop().time() + deadline
            if timeout.total is None or timeout.total > deadline:
                request.total_timeout = deadline
        return call

    def _watch(self, call: _Call[Any]) -> None:
        """Have the deadline watch end ``call`` at its deadline, from now on.

        With a transport that enforces its timeouts, a first attempt that waits for nothing is
        bounded by its own timeout, which ``_call`` cuts to the deadline, so the watch is
        entered only when the call waits (for the rate limit or a slot) or retries: most calls
        never pay for it. Other transports are watched from the start.
        """
        if call.watched is None and call.deadline is not None:
            call.watched = self._deadlines.watch(call.deadline)

    def _next_request(self, call: _Call[Any]) -> RawRequest:
        """The request of a call's next attempt: the current credentials, the time left."""
        sent = call.request
        headers = sent.headers
        if call.generation != self._auth.generation:  # the token was refreshed since
            call.generation = self._auth.generation
            headers = self._headers_for(
                call.operation, sent.body is not None, sent.request_id or ""
            )
        total = call.options.timeout.total
        if call.deadline is not None:
            total = _within(total, call.deadline)
        return RawRequest(
            sent.method,
            sent.url,
            headers,
            sent.body,
            sent.fresh_connection,
            total,
            sent.connect_timeout,
            sent.read_timeout,
            sent.operation,
            sent.request_id,
        )

    def _headers_for(self, operation: Operation, has_body: bool, request_id: str) -> dict[str, str]:
        """The headers of one request of ``operation`` (from a cache kept per auth state)."""
        key = (operation.api_version, has_body)
        headers = self._headers.get(key)
        if headers is None or self._headers_generation != self._auth.generation:
            headers = self._base_headers(key)
        return {**headers, "X-Request-Id": request_id}

    def _base_headers(self, key: tuple[str, bool]) -> dict[str, str]:
        if self._headers_generation != self._auth.generation:
            self._headers.clear()  # the token was refreshed: every entry is stale
            self._headers_generation = self._auth.generation
        version, has_body = key
        headers = {
            "Accept": "application/json",
            "User-Agent": self._user_agent,
            "cal-api-version": version,
            **self._auth.credentials.headers(),
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        self._headers[key] = headers
        return headers

    async def _recover(self, call: _Call[T], error: CalError) -> T:
        """The retry loop, entered when the first attempt failed with ``error``."""
        policy = call.options.retry
        budget: RetryBudget | None = None
        refreshed = False
        while True:
            if isinstance(error, TokenExpiredError) and self._auth.can_refresh and not refreshed:
                # A step of the loop, not an attempt of the budget's: refreshed once per call.
                await self._auth.refresh(call.generation, error)
                refreshed = True
            else:
                if not should_retry(error, idempotent=call.operation.idempotent, policy=policy):
                    break
                if budget is None:
                    budget = RetryBudget(
                        policy, clock=self._clock, started=call.started, rng=self._rng
                    )
                wait = await budget.next_wait(error)
                if wait is None:
                    break
                # Folded in before the wait: a deadline that strikes during it ends the call
                # with this attempt's outcome already counted.
                call.earlier_applied = call.earlier_applied or may_have_applied(error)
                announce(
                    budget.record(
                        error,
                        wait,
                        operation=call.operation.name,
                        method=call.operation.method,
                        url=call.request.url,
                    ),
                    policy,
                )
                await budget.sleep(wait)
            call.request = self._next_request(call)
            try:
                return await self._attempt(call)
            except CalError as next_error:
                error = next_error
        raise self._final(call, error)

    def _final(self, call: _Call[Any], error: CalError) -> CalError:
        """The error a call ends with, its outcome decided (the one place that decides it)."""
        if isinstance(error, TokenExpiredError) and not self._auth.can_refresh:
            error.message = f"{error.message}; {self._auth.expired_hint()}"
        error._decided(
            this_attempt=may_have_applied(error),
            earlier_attempt=call.earlier_applied,
            attempts=max(call.attempts, 1),
        )
        return error

    # --- one attempt --------------------------------------------------------------------------

    async def _attempt(self, call: _Call[T]) -> T:
        call.sending = False
        pacer = self._pacer
        ticket: Any = None
        status: int | None = None
        reported = None
        try:
            # The pacer, then a slot: both before the attempt's own timeout starts.
            if pacer is not None:
                ticket = pacer.try_acquire(call.operation)
                if ticket is None:
                    self._watch(call)
                    ticket = await pacer.acquire(call.operation)
            slots = self._slots
            if not slots.try_acquire():
                self._watch(call)
                await slots.acquire()
            try:
                request = call.request
                call.attempts += 1
                self.attempts += 1
                for hook in self.attempt_hooks:
                    hook()
                call.sending = True  # stays set if the call is cancelled in the transport
                try:
                    response = await self._transport.send(request)
                except CalError:
                    call.sending = False
                    raise
                call.sending = False
            finally:
                slots.release()
            status = response.status
            now = self._clock.monotonic()
            reported = parse_rate_limit_headers(response.raw_headers)
            if reported is not None:
                self._rate_limits.update(reported, now)
        finally:
            if pacer is not None and ticket is not None:
                # Always, even when cancelled: the pacer counts requests in flight.
                pacer.release(ticket, status, reported)
        return self._answer(call, request, response, reported, now)

    def _timed_out(self, call: _Call[Any]) -> RequestTimeout:
        deadline = call.options.retry.deadline
        if call.sending:
            what = f"timed out: the call's deadline ({deadline:g} s) passed"
        else:
            what = (
                f"timed out: the call's deadline ({deadline:g} s) passed while it waited for "
                "the rate limit or a free slot"
            )
        return RequestTimeout(
            what,
            method=call.operation.method,
            url=call.request.url,
            request_id=call.request.request_id,
            request_sent=call.sending,
        )

    def _answer(
        self, call: _Call[T], request: RawRequest, response: RawResponse, reported: Any, now: float
    ) -> T:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d (%s, request id %s)",
                request.method,
                request.url,
                response.status,
                call.operation.name,
                response.header("X-Request-Id"),
            )
        try:
            return read_answer(response, request.method, request.url, call.decode, reported, now)
        except AnswerMismatch as mismatch:
            # The connection delivered an answer meant for another request: nothing more it
            # says can be trusted, and this request's own answer is lost.
            response.drop_connection()
            reason = mismatch.reason
        raise TransportError(
            f"the answer belongs to another request ({reason}); the connection was dropped",
            method=request.method,
            url=request.url,
            request_id=request.request_id,
            request_sent=True,
        )


def _within(total: float | None, deadline: float) -> float:
    """The attempt's total timeout, cut short so that it ends by ``deadline`` (loop time)."""
    left = max(deadline - asyncio.get_running_loop().time(), 0.001)
    return left if total is None or total > left else total

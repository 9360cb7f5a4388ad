"""What is retried, what a failure may have applied, and how long the next attempt waits.

Three decisions, each made in one place:

* :func:`classify` and :data:`RETRY_TABLE`: whether a failure is retried, by the kind of
  failure and whether the operation is safe to repeat (``Operation.idempotent``).
* :func:`may_have_applied`: whether the server may have carried out the request although no
  success came back. The session asks it once per call, for the error the call ends with.
* :class:`RetryBudget`: how long to wait before the next attempt, or that there is none: the
  policy's attempts, its deadline (no wait begins that would end past it), and its cap on waits
  for a rate limit to reset. Waits are exponential backoff with jitter, except after HTTP 429,
  where the server says when to come back (the largest ``X-RateLimit-Reset-<Name>``, or a
  ``Retry-After``), plus a little jitter.

tenacity keeps the count and runs the policy's stop and wait strategies, behind
:class:`RetryBudget` (stamina wraps it the same way): no tenacity type reaches a caller. A budget
is only built once an attempt has failed in a retryable way, so the first attempt of a call
allocates nothing for retries (building a tenacity object per call costs more CPU than a whole
request on a fast network, docs/PERF-NOTES.md). The testing switch ``waits_disabled()`` (from
``_types``, re-exported here) skips every wait.

This is the only module that imports tenacity. It imports ``_config``, ``_errors`` and
``_types``.
"""

from __future__ import annotations

import enum
import inspect
import logging
import random
from collections.abc import Mapping
from typing import Any

import tenacity

from ._config import RetryAttempt, RetryPolicy
from ._errors import (
    APIStatusError,
    CalError,
    ClientClosedError,
    DecodeError,
    RateLimitError,
    RequestTimeout,
    TransportError,
)
from ._types import Clock, waits_disabled, waits_enabled

__all__ = [
    "RETRY_TABLE",
    "Failure",
    "RetryBudget",
    "announce",
    "classify",
    "compute_wait",
    "may_have_applied",
    "should_retry",
    "waits_disabled",
]

logger = logging.getLogger("calbookings_async")


class Failure(enum.Enum):
    """The kinds of failure the retry table distinguishes."""

    CONNECT = "the request never left (no connection, or a write refused before it went out)"
    SENT_NO_RESPONSE = "connection dropped after the request may have been sent"
    TIMEOUT = "timed out after the request may have been sent"
    RATE_LIMITED = "HTTP 429"
    SERVER_ERROR = "HTTP 408/500/502/503/504"
    FINAL = "any other error"


#: (failure kind, operation is safe to repeat) -> retried by default. Which operations are safe
#: to repeat is declared per operation in ``_operations`` (reads and writes that set a state).
#: HTTP 498 is not here: the session refreshes the token and repeats the request itself.
RETRY_TABLE: Mapping[tuple[Failure, bool], bool] = {
    (Failure.CONNECT, True): True,
    (Failure.CONNECT, False): True,  # the server never saw the request
    (Failure.RATE_LIMITED, True): True,
    (Failure.RATE_LIMITED, False): True,  # Cal.com throttles before running the handler
    (Failure.SERVER_ERROR, True): True,
    (Failure.SERVER_ERROR, False): False,  # may have been applied
    (Failure.TIMEOUT, True): True,
    (Failure.TIMEOUT, False): False,  # may have been applied
    (Failure.SENT_NO_RESPONSE, True): True,
    (Failure.SENT_NO_RESPONSE, False): False,  # may have been applied
    (Failure.FINAL, True): False,
    (Failure.FINAL, False): False,
}

_RETRYABLE_STATUS = frozenset({408, 500, 502, 503, 504})


def classify(error: BaseException) -> Failure:
    """Name the kind of failure ``error`` is, for the retry table."""
    if isinstance(error, TransportError):
        if isinstance(error, ClientClosedError) or error.permanent:
            return Failure.FINAL  # every further attempt would fail the same way
        if not error.request_sent:
            return Failure.CONNECT
        return Failure.TIMEOUT if isinstance(error, RequestTimeout) else Failure.SENT_NO_RESPONSE
    if isinstance(error, RateLimitError):
        return Failure.RATE_LIMITED
    if isinstance(error, APIStatusError) and error.status_code in _RETRYABLE_STATUS:
        return Failure.SERVER_ERROR
    return Failure.FINAL


def should_retry(error: BaseException, *, idempotent: bool, policy: RetryPolicy) -> bool:
    """Whether the table (and the policy's ``retry_unsafe`` opt-in) retries ``error``."""
    kind = classify(error)
    if RETRY_TABLE[(kind, idempotent)]:
        return True
    return policy.retry_unsafe and RETRY_TABLE[(kind, True)]


def may_have_applied(error: BaseException) -> bool:
    """Whether the server may have carried out the request that ended with ``error``.

    * No response: only if the request may have left (``TransportError.request_sent``).
    * A success status whose body is not the answer expected (a ``DecodeError``) or is the error
      envelope: the handler ran, so yes.
    * 5xx other than 503: the handler may have run (503 means it was refused before it started).
    * Any other status (3xx, 4xx, 429, 503): the server refused it, if the answer is this
      request's. An answer on a kept-alive connection that had carried an earlier answer, and
      that does not name this request's path (a redirect, an HTML page, an envelope without
      ``path``), may be a late answer meant for that earlier request: this request's own answer
      was then lost, and it may have been applied. Cal.com's own errors name the path
      (docs/API-NOTES.md §7), which the session has checked is this request's.
    """
    if isinstance(error, TransportError):
        return error.request_sent
    if isinstance(error, DecodeError):
        return True
    if isinstance(error, APIStatusError):
        status = error.status_code
        if 200 <= status < 300 or (status >= 500 and status != 503):
            return True
        return error.reused_connection and error.answered_path is None
    return False


def compute_wait(
    error: BaseException, retry_number: int, policy: RetryPolicy, rng: random.Random
) -> float:
    """Seconds to wait before retry ``retry_number`` (1 for the first retry).

    After a 429 this is the server's reset time plus up to ``policy.jitter``; otherwise
    exponential backoff capped at ``wait_max``, plus up to ``policy.jitter``.
    """
    jitter = rng.uniform(0.0, policy.jitter) if policy.jitter else 0.0
    if isinstance(error, RateLimitError) and error.retry_after is not None:
        return error.retry_after + jitter
    return policy.backoff(retry_number) + jitter


class RetryBudget:
    """What is left of one call's retries: attempts, deadline, and the cap on rate-limit waits.

    Built when the first attempt of a call has failed; :meth:`next_wait` is asked after every
    failed attempt. tenacity keeps the count (attempt 1 is the one that already failed) and runs
    the stop and wait strategies.

    Args:
        policy: The retry policy of the call.
        clock: Where time is read and waits happen.
        started: The clock's time when the call's first attempt started.
        rng: Source of jitter.
    """

    __slots__ = ("_clock", "_policy", "_retrying", "_rng", "_started", "_state")

    def __init__(
        self, policy: RetryPolicy, *, clock: Clock, started: float, rng: random.Random
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._started = started
        self._rng = rng
        self._retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_always,  # the table has decided before the budget is asked
            stop=self._stop,
            wait=self._wait,
            retry_error_callback=_stopped,
            reraise=True,
        )
        self._retrying.begin()
        self._state = tenacity.RetryCallState(self._retrying, None, (), {})

    @property
    def attempts(self) -> int:
        """Attempts made so far (the first one included)."""
        return self._state.attempt_number

    async def next_wait(self, error: CalError) -> float | None:
        """Seconds to wait before the next attempt, after an attempt failed with ``error``.

        Returns:
            The wait, or ``None`` when the call must stop now: attempts used up, a wait that
            would end past the deadline, or a rate limit that resets later than
            ``rate_limit_wait_max``.
        """
        self._state.set_exception((type(error), error, None))
        action = await self._retrying.iter(self._state)
        if not isinstance(action, tenacity.DoSleep):
            return None
        self._state.prepare_for_next_attempt()
        return float(action)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on the budget's clock (not at all inside ``waits_disabled()``)."""
        await self._clock.sleep(seconds if waits_enabled() else 0.0)

    def record(
        self, error: CalError, wait: float, *, operation: str, method: str, url: str
    ) -> RetryAttempt:
        """The frozen record of a failed attempt that will be retried after ``wait``."""
        return RetryAttempt(
            operation=operation,
            method=method,
            url=url,
            attempt=self._state.attempt_number - 1,
            error=error,
            wait=wait,
            elapsed=self._clock.monotonic() - self._started,
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        assert error is not None  # the budget is asked only after a failed attempt
        return compute_wait(error, state.attempt_number, self._policy, self._rng)

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        """Stop when the attempts are used up, or the coming wait would break a limit."""
        if state.attempt_number >= self._policy.attempts:
            return True
        error = state.outcome.exception() if state.outcome else None
        # The cap applies to the server's reset, not to reset + jitter: the random jitter must
        # not decide whether a 429 is waited out or raised.
        if (
            isinstance(error, RateLimitError)
            and error.retry_after is not None
            and error.retry_after > self._policy.rate_limit_wait_max
        ):
            return True
        deadline = self._policy.deadline
        if deadline is None:
            return False
        # Give up now rather than wait for an attempt that would start past the deadline.
        elapsed = self._clock.monotonic() - self._started
        return elapsed + state.upcoming_sleep >= deadline


def _stopped(_state: tenacity.RetryCallState) -> None:
    return None


def announce(record: RetryAttempt, policy: RetryPolicy) -> None:
    """Log a retry at INFO and tell the policy's ``on_retry`` hooks (never raising)."""
    logger.info(
        "%s: %s; retrying in %.2f s (attempt %d of %d)",
        record.operation,
        record.error,
        record.wait,
        record.attempt + 1,
        policy.attempts,
    )
    for hook in policy.on_retry:
        try:
            result: Any = hook(record)
        except Exception:
            logger.exception("%s: an on_retry hook raised; ignored", record.operation)
            continue
        if inspect.iscoroutine(result):
            # An async hook that slipped past RetryPolicy's check (a lambda returning a
            # coroutine, say): close it rather than leave it never awaited.
            result.close()
            logger.error("%s: an on_retry hook returned a coroutine; ignored", record.operation)

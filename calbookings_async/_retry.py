"""What is retried, how long to wait, and the tenacity loop that runs the retries.

The decision is a table (:data:`RETRY_TABLE`) keyed by the kind of failure and whether the
operation is safe to repeat. Waits are exponential backoff with jitter, except after HTTP 429,
where the server says when to come back: the largest ``X-RateLimit-Reset-<Name>`` (or a
``Retry-After``), plus a little jitter. A wait that would pass the policy's deadline, or a 429
reset beyond ``rate_limit_wait_max``, ends the retries at once with the last error.

The testing switch ``waits_disabled()`` (from ``_types``, re-exported here) skips every wait.

The first attempt never touches tenacity: building an ``AsyncRetrying`` per call costs more CPU
than a whole request on a fast network (docs/PERF-NOTES.md). The session makes the first
attempt itself and calls :func:`retry_after_failure` only once an attempt has failed in a
retryable way; that function builds a fresh ``AsyncRetrying`` (never shared between concurrent
calls) whose first "attempt" replays the failure that already happened.

This is the only module that imports tenacity. It imports ``_config``, ``_errors`` and
``_types``.
"""

from __future__ import annotations

import enum
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import tenacity

from ._config import RetryAttempt, RetryPolicy
from ._errors import (
    APIStatusError,
    CalError,
    ClientClosedError,
    RateLimitError,
    RequestTimeout,
    TransportError,
)
from ._types import Clock, waits_disabled, waits_enabled

__all__ = [
    "RETRY_TABLE",
    "Failure",
    "classify",
    "retry_after_failure",
    "should_retry",
    "waits_disabled",
]

T = TypeVar("T")

logger = logging.getLogger("calbookings_async")


class Failure(enum.Enum):
    """The kinds of failure the retry table distinguishes."""

    CONNECT = "connection could not be established"
    SENT_NO_RESPONSE = "connection dropped after the request was sent"
    TIMEOUT = "timed out"
    RATE_LIMITED = "HTTP 429"
    SERVER_ERROR = "HTTP 408/500/502/503/504"
    FINAL = "any other error"


#: (failure kind, operation is safe to repeat) -> retried by default.
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
    if isinstance(error, RequestTimeout):
        return Failure.TIMEOUT if error.may_have_been_applied else Failure.CONNECT
    if isinstance(error, TransportError):
        if isinstance(error, ClientClosedError):
            return Failure.FINAL  # a closed client fails every attempt the same way
        return Failure.SENT_NO_RESPONSE if error.may_have_been_applied else Failure.CONNECT
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


class _Stop:
    """Stop when attempts are used up, or when the coming wait would break a limit."""

    def __init__(self, policy: RetryPolicy, clock: Clock, started: float) -> None:
        self.policy = policy
        self.clock = clock
        self.started = started

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self.policy.attempts:
            return True
        error = state.outcome.exception() if state.outcome else None
        # The cap applies to the server's reset, not to reset + jitter: the random jitter must
        # not decide whether a 429 is waited out or raised.
        if (
            isinstance(error, RateLimitError)
            and error.retry_after is not None
            and error.retry_after > self.policy.rate_limit_wait_max
        ):
            return True
        wait = state.upcoming_sleep
        deadline = self.policy.deadline
        if deadline is None:
            return False
        # Give up now rather than wait for an attempt that would start past the deadline.
        return self.clock.monotonic() - self.started + wait >= deadline


async def retry_after_failure(
    first_error: CalError,
    attempt: Callable[[int], Awaitable[T]],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    clock: Clock,
    started: float,
    operation: str,
    method: str,
    url: str,
    rng: random.Random,
) -> T:
    """Retry after ``first_error`` ended the first attempt, until success or a final error.

    Args:
        first_error: The retryable error the first attempt raised.
        attempt: Makes one attempt; receives the attempt number (2, 3, ...).
        policy: The retry policy in force for this call.
        idempotent: Whether the operation is safe to repeat.
        clock: Where to read time and sleep.
        started: Monotonic time at which the first attempt started.
        operation: The operation's name, for hooks and logs.
        method: The HTTP method, for hooks and logs.
        url: The URL, for hooks and logs.
        rng: Source of jitter.

    Returns:
        The result of the first successful attempt.

    Raises:
        CalError: The error of the last attempt, with ``attempts`` set to the number made, and
            ``may_have_been_applied`` true when any attempt may have been applied.
    """
    pending_first: list[CalError] = [first_error]
    # Whether any failed attempt so far may have been applied: the final error must say so even
    # when the last attempt itself was refused before running (a retried cancel whose first
    # attempt was applied gets a 400 "already cancelled").
    maybe_applied = [first_error.may_have_been_applied]

    async def one_attempt() -> T:
        if pending_first:
            # Replay the failure the caller already saw, so tenacity counts it as attempt 1.
            raise pending_first.pop()
        try:
            return await attempt(state_box[0].attempt_number)
        except CalError as error:
            if error.may_have_been_applied:
                maybe_applied[0] = True
            raise

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        assert error is not None
        return compute_wait(error, state.attempt_number, policy, rng)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        assert isinstance(error, CalError)
        record = RetryAttempt(
            operation=operation,
            method=method,
            url=url,
            attempt=state.attempt_number,
            error=error,
            wait=state.upcoming_sleep,
            elapsed=clock.monotonic() - started,
        )
        logger.info(
            "%s: %s; retrying in %.2f s (attempt %d of %d)",
            operation,
            error,
            record.wait,
            record.attempt + 1,
            policy.attempts,
        )
        for hook in policy.on_retry:
            try:
                result = hook(record)
            except Exception:
                logger.exception("%s: an on_retry hook raised; ignored", operation)
                continue
            if inspect.iscoroutine(result):
                # An async hook that slipped past RetryPolicy's check (a lambda returning a
                # coroutine, say): close it rather than leave it never awaited.
                result.close()
                logger.error("%s: an on_retry hook returned a coroutine; ignored", operation)

    async def sleep(seconds: float) -> None:
        if waits_enabled():
            await clock.sleep(seconds)
        else:
            await clock.sleep(0.0)

    retrying = tenacity.AsyncRetrying(
        stop=_Stop(policy, clock, started),
        wait=wait,
        retry=tenacity.retry_if_exception(
            lambda error: should_retry(error, idempotent=idempotent, policy=policy)
        ),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
    state_box: list[tenacity.RetryCallState] = []
    attempts_made = 1
    try:
        async for attempt_context in retrying:
            state_box[:] = [attempt_context.retry_state]
            attempts_made = attempt_context.retry_state.attempt_number
            with attempt_context:
                return await one_attempt()
    except CalError as error:
        error.attempts = attempts_made
        if maybe_applied[0]:
            error._earlier_attempt_may_have_applied()
        raise
    raise AssertionError("unreachable")  # pragma: no cover

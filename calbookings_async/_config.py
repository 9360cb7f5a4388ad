"""Frozen, keyword-only value objects that configure a client, with their named defaults.

:class:`RetryPolicy` says how failures are retried, :class:`Timeout` how long one attempt may
take, :class:`RetryAttempt` is the frozen record handed to ``on_retry`` hooks. Every value is
checked when the object is built, so a negative timeout or a zero attempt count fails at
construction with an error naming the field, not later inside a request.

This module imports only ``_validate``, ``_errors`` and ``_types``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

import attrs

from ._errors import CalError, InvalidArgumentError
from ._validate import check_bool, check_int, check_number

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "SDK_VERSION",
    "RetryAttempt",
    "RetryPolicy",
    "Timeout",
]

try:
    SDK_VERSION = metadata.version("calbookings-async")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    SDK_VERSION = "0+unknown"

DEFAULT_BASE_URL = "https://api.cal.com"
#: The ``cal-api-version`` of every bookings operation in the current API (API-NOTES §1).
DEFAULT_API_VERSION = "2024-08-13"
DEFAULT_MAX_CONCURRENCY = 100
#: Response bodies larger than this are refused unread (the largest legitimate answer, a listing
#: page of 250 bookings, is about 300 KB). The bytes a client buffers for bodies are at most
#: ``max_concurrency`` times this: 200 MiB at the defaults, 48 MiB for 24 oversized answers.
DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024


def _non_negative(name: str) -> Callable[[Any, Any, Any], None]:
    def validate(_instance: Any, _attribute: Any, value: Any) -> None:
        check_number(name, value, minimum=0.0, allow_none=True)

    return validate


def _positive_or_none(name: str) -> Callable[[Any, Any, Any], None]:
    def validate(_instance: Any, _attribute: Any, value: Any) -> None:
        if value is None:
            return
        check_number(name, value)
        if value <= 0:
            raise InvalidArgumentError(name, f"must be greater than 0, got {value:g}")

    return validate


def _is_async(hook: Any) -> bool:
    return inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(
        getattr(hook, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


def _hooks(value: Any) -> tuple[Callable[[RetryAttempt], Any], ...]:
    # Hooks are called, never awaited: an async one would only make a coroutine that never runs.
    if callable(value):
        if _is_async(value):
            raise InvalidArgumentError("on_retry", "must be a plain function, not async")
        return (value,)
    if isinstance(value, Sequence) and not isinstance(value, str):
        hooks = tuple(value)
        for index, hook in enumerate(hooks):
            if not callable(hook):
                raise InvalidArgumentError(f"on_retry[{index}]", "must be callable")
            if _is_async(hook):
                raise InvalidArgumentError(
                    f"on_retry[{index}]", "must be a plain function, not async"
                )
        return hooks
    raise InvalidArgumentError("on_retry", "expected a callable or a sequence of callables")


@attrs.frozen(kw_only=True)
class RetryAttempt:
    """What an ``on_retry`` hook is told about a failed attempt that will be retried.

    Attributes:
        operation: The operation's name (``"bookings.decline"``).
        method: The HTTP method.
        url: The URL called.
        attempt: The number of the attempt that failed (1 for the first).
        error: The typed error that attempt ended with.
        wait: Seconds the SDK will wait before the next attempt.
        elapsed: Seconds since the first attempt started.
    """

    operation: str
    method: str
    url: str
    attempt: int
    error: CalError
    wait: float
    elapsed: float


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failed requests are retried.

    What is retried (the table lives in ``_retry.py`` and is tested row by row):

    * a connection that could not be established: every operation;
    * HTTP 429: every operation (the server refuses throttled requests before running them),
      after the largest ``X-RateLimit-Reset-<Name>`` (or ``Retry-After``);
    * HTTP 408/500/502/503/504, timeouts and connections dropped after the request was sent:
      only operations that are safe to repeat (reads, and writes that set a state), unless
      ``retry_unsafe`` is true;
    * HTTP 498 with a ``refresh_token`` callback: the token is refreshed once and the request
      repeated (not counted against ``attempts``).

    Attributes:
        attempts: Total attempts, the first included. 1 turns retries off.
        wait_initial: Backoff before the second attempt, in seconds; doubles each time.
        wait_max: Longest backoff between attempts, in seconds.
        jitter: Up to this many seconds of random extra wait, spreading out clients that failed
            together.
        deadline: Overall budget in seconds across every attempt and wait, or ``None``. No
            attempt starts, and no wait begins, that would end past it.
        rate_limit_wait_max: Longest wait for a rate limit to reset, in seconds. A 429 whose
            reset is further away raises :class:`RateLimitError` at once (with ``retry_after``).
        retry_unsafe: Also retry create, reschedule, add-guests and automatic reassign after
            5xx, timeouts and dropped connections. These may then be applied twice.
        on_retry: Plain (not async) callables given a :class:`RetryAttempt` before each wait.
            They must not raise; an exception from a hook is logged and ignored.
    """

    attempts: int = attrs.field(default=4)
    wait_initial: float = attrs.field(default=0.5, validator=_non_negative("wait_initial"))
    wait_max: float = attrs.field(default=8.0, validator=_non_negative("wait_max"))
    jitter: float = attrs.field(default=0.25, validator=_non_negative("jitter"))
    deadline: float | None = attrs.field(default=120.0, validator=_positive_or_none("deadline"))
    rate_limit_wait_max: float = attrs.field(
        default=65.0, validator=_non_negative("rate_limit_wait_max")
    )
    retry_unsafe: bool = attrs.field(default=False)
    on_retry: tuple[Callable[[RetryAttempt], Any], ...] = attrs.field(default=(), converter=_hooks)

    @attempts.validator
    def _check_attempts(self, _attribute: Any, value: Any) -> None:
        check_int("attempts", value, minimum=1)

    @retry_unsafe.validator
    def _check_retry_unsafe(self, _attribute: Any, value: Any) -> None:
        check_bool("retry_unsafe", value)

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries (``attempts=1``)."""
        return cls(attempts=1)

    def backoff(self, retry_number: int) -> float:
        """Backoff before retry ``retry_number`` (1-based), without jitter, capped."""
        return float(min(self.wait_max, self.wait_initial * (2 ** (retry_number - 1))))


@attrs.frozen(kw_only=True)
class Timeout:
    """How long one attempt may take, in seconds (``None``: no limit).

    Waiting for a concurrency slot or for the rate limit does not count: the clock starts when
    the request is handed to the connection pool.

    Attributes:
        total: The whole attempt: connect, send, and read the full response.
        connect: Establishing the connection (including TLS).
        read: The longest gap between two chunks of the response.
    """

    total: float | None = attrs.field(default=30.0, validator=_positive_or_none("timeout.total"))
    connect: float | None = attrs.field(
        default=10.0, validator=_positive_or_none("timeout.connect")
    )
    read: float | None = attrs.field(default=None, validator=_positive_or_none("timeout.read"))

    @classmethod
    def of(cls, value: float | Timeout | None) -> Timeout:
        """Return ``value`` as a :class:`Timeout` (a number is the total)."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(total=None, connect=None, read=None)
        check_number("timeout", value)
        if value <= 0:
            raise InvalidArgumentError("timeout", f"must be greater than 0, got {value:g}")
        return cls(total=float(value))

"""Server-side throttling exactly like Cal.com's ``CustomThrottlerGuard`` (API-NOTES §8).

A fixed window per credential tracker and named limit: the first hit starts a window of ``ttl``
seconds (Redis ``INCR`` then ``PEXPIRE``), hits beyond ``limit`` start a block of ``block``
seconds during which every request is refused, and when the block ends the window restarts at
one hit. A tracker with several named limits is refused only when all of them are blocked. Every
guarded response carries ``X-RateLimit-Limit-<Name>``, ``-Remaining-<Name>`` and
``-Reset-<Name>`` (seconds, ``ceil(ms / 1000)``) for each limit. Time comes from an injectable
monotonic clock so tests can step through windows without sleeping. Stdlib only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "ATTENDEES_ADD_LIMIT",
    "ATTENDEES_REMOVE_LIMIT",
    "DEFAULT_ACCESS_TOKEN_LIMIT",
    "DEFAULT_ANONYMOUS_LIMIT",
    "DEFAULT_API_KEY_LIMIT",
    "DEFAULT_OAUTH_CLIENT_LIMIT",
    "GUESTS_ADD_LIMIT",
    "LOCATION_UPDATE_LIMIT",
    "NAMED_LIMITS",
    "RateLimit",
    "Throttler",
]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One named fixed-window limit.

    Attributes:
        limit: Requests allowed per window.
        ttl: Window length in seconds (floats allowed, e.g. ``1.0`` in tests).
        block: How long a tracker stays blocked once it exceeds the limit, in seconds.
        name: The limit's name; headers use it with the first letter upper-cased
            (``default`` -> ``X-RateLimit-Limit-Default``).
    """

    limit: int
    ttl: float = 60.0
    block: float = 60.0
    name: str = "default"

    @property
    def suffix(self) -> str:
        """The header suffix: the name with its first letter upper-cased."""
        return self.name[:1].upper() + self.name[1:]


#: Cal.com's defaults (RATE_LIMIT_DEFAULT_* environment variables).
DEFAULT_API_KEY_LIMIT = RateLimit(limit=120)
DEFAULT_ACCESS_TOKEN_LIMIT = RateLimit(limit=500)
DEFAULT_OAUTH_CLIENT_LIMIT = RateLimit(limit=500)
DEFAULT_ANONYMOUS_LIMIT = RateLimit(limit=120)
#: The per-endpoint limit of ``POST /v2/bookings/{bookingUid}/guests`` (API-NOTES §8, §13).
GUESTS_ADD_LIMIT = RateLimit(limit=5, name="booking_guests_add")
#: The per-endpoint limit of ``PATCH /v2/bookings/{bookingUid}/location``.
LOCATION_UPDATE_LIMIT = RateLimit(limit=5, name="booking_location_update")
#: The per-endpoint limit of ``POST /v2/bookings/{bookingUid}/attendees``.
ATTENDEES_ADD_LIMIT = RateLimit(limit=5, name="booking_attendees_add")
#: The per-endpoint limit of ``DELETE /v2/bookings/{bookingUid}/attendees/{attendeeId}``.
ATTENDEES_REMOVE_LIMIT = RateLimit(limit=5, name="booking_attendees_remove")
#: Every named per-endpoint limit, by name: 5 requests per 60 s, then a 60 s block.
NAMED_LIMITS: dict[str, RateLimit] = {
    limit.name: limit
    for limit in (
        GUESTS_ADD_LIMIT,
        LOCATION_UPDATE_LIMIT,
        ATTENDEES_ADD_LIMIT,
        ATTENDEES_REMOVE_LIMIT,
    )
}


class _Window:
    __slots__ = ("block_end", "hits", "window_end")

    def __init__(self) -> None:
        self.hits = 0
        self.window_end = 0.0
        self.block_end: float | None = None


def _seconds_left(end: float, now: float) -> int:
    # Redis PTTL gives whole milliseconds; the guard then takes Math.ceil(ms / 1000).
    ms = max(0, round((end - now) * 1000))
    return -(-ms // 1000)


class Throttler:
    """The fixed-window counters of every (tracker, limit name) pair.

    Args:
        clock: Monotonic seconds (``time.monotonic`` or a test's fake clock).

    Attributes:
        rejected: How many requests were answered 429 by the throttler.
        rejected_by_tracker: The same, per tracker.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self.rejected = 0
        self.rejected_by_tracker: Counter[str] = Counter()

    def reset(self) -> None:
        """Forget every window and block (as if Redis were flushed)."""
        self._windows.clear()

    def hit(self, tracker: str, limits: Sequence[RateLimit]) -> tuple[bool, list[tuple[str, str]]]:
        """Count one request against every limit of a tracker.

        Args:
            tracker: ``api_key_<sha256>``, ``access_token_<sha256>``, ``oauth_client_<sha256>`` or
                the client IP.
            limits: The limits that apply to this request (a route limit replaces the others).

        Returns:
            ``(allowed, headers)``: allowed is False only when every limit is blocked; headers are
            the rate-limit triplets to put on the response, 429 included.
        """
        now = self.clock()
        headers: list[tuple[str, str]] = []
        allowed = False
        for limit in limits:
            blocked, remaining, reset = self._hit_one(tracker, limit, now)
            suffix = limit.suffix
            headers.append((f"X-RateLimit-Limit-{suffix}", str(limit.limit)))
            headers.append((f"X-RateLimit-Remaining-{suffix}", str(remaining)))
            headers.append((f"X-RateLimit-Reset-{suffix}", str(reset)))
            if not blocked:
                allowed = True
        if not allowed:
            self.rejected += 1
            self.rejected_by_tracker[tracker] += 1
        return allowed, headers

    def _hit_one(self, tracker: str, limit: RateLimit, now: float) -> tuple[bool, int, int]:
        key = (tracker, limit.name)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        if window.block_end is not None:
            if now < window.block_end:
                window.hits += 1
                return True, 0, _seconds_left(window.block_end, now)
            # The block is over: the window restarts with this request as its first hit.
            window.block_end = None
            window.hits = 0
            window.window_end = 0.0
        if now >= window.window_end:
            window.hits = 0
            window.window_end = now + limit.ttl
        window.hits += 1
        if window.hits > limit.limit:
            window.block_end = now + limit.block
            return True, 0, _seconds_left(window.block_end, now)
        return False, max(0, limit.limit - window.hits), _seconds_left(window.window_end, now)

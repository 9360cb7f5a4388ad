"""Reads the server's rate-limit headers and keeps the latest value of every named limit.

Cal.com reports each limit that applies to a credential as a triplet of headers,
``X-RateLimit-{Limit,Remaining,Reset}-<Name>`` (docs/API-NOTES.md §8): any number of names, in
any letter case (HTTP/2 lower-cases them), ``Reset`` in seconds from now rather than an epoch.
There are no un-suffixed forms and no ``Retry-After``; un-suffixed headers from a proxy are
ignored, and a ``Retry-After`` in seconds is honoured if one appears.

Parsing runs on every response, so it works on the raw header pairs, looks closely only at long
names starting with ``x``, remembers what each name and each value read as (both repeat), and
gathers numbers in plain lists that become one :class:`ReportedLimit` (a tuple) per name at the
end. Values that are not finite numbers
(junk, NaN, infinities, integers too large for a float) are treated as absent; negative values
count as zero when read. Names are kept in lower case (``"default"``, ``"booking_guests_add"``).

This module imports only ``_errors`` and ``_types``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import NamedTuple, TypeAlias

from ._errors import RateLimit

__all__ = [
    "RateLimitReport",
    "RateLimitState",
    "Reported",
    "ReportedLimit",
    "largest_reset",
    "parse_rate_limit_headers",
    "parse_retry_after",
    "to_public",
]


class ReportedLimit(NamedTuple):
    """One named limit as one response reported it (a tuple: cheap to build and to unpack).

    Attributes:
        limit: ``X-RateLimit-Limit-<Name>``: requests allowed per window.
        remaining: ``X-RateLimit-Remaining-<Name>``: requests left in the window.
        reset: ``X-RateLimit-Reset-<Name>``: seconds until the window (or block) ends.

    Each is the number as sent (an ``int`` when it was one), or ``None`` when the header was
    absent or unreadable (junk, NaN, infinities, absurd magnitudes). Negative numbers are kept
    as sent; readers count them as zero.
    """

    limit: float | None
    remaining: float | None
    reset: float | None


#: What one response reported: lower-case limit name -> :class:`ReportedLimit`, in the order
#: the names first appear. This is what a :class:`~calbookings_async.Pacer` receives in
#: ``release``.
RateLimitReport: TypeAlias = Mapping[str, ReportedLimit]

#: The concrete report the parser builds (a ``dict``, so the SDK's own readers index it fast).
Reported: TypeAlias = dict[str, ReportedLimit]

_record = tuple.__new__  # ReportedLimit from a tuple of three, without NamedTuple's __new__

_PREFIX = b"x-ratelimit-"
_KINDS = ((b"limit-", 0), (b"remaining-", 1), (b"reset-", 2))

#: Where a response's rate-limit headers sit: per limit name (in the order the names first
#: appear), the positions of its Limit, Remaining and Reset headers (``None`` when absent).
_Layout = tuple[tuple[str, int | None, int | None, int | None], ...]

# The header names of a response, in order -> their layout. A server sends the same names in the
# same order on every answer, so the names are classified once per layout, and an answer costs
# one lookup of its name tuple and the reading of its few rate-limit values.
_LAYOUTS: dict[tuple[bytes, ...], _Layout] = {}
_LAYOUTS_MAX = 256
_name_of = operator.itemgetter(0)


class _Numbers(dict[bytes, float | None]):
    """Raw header value -> its number. A limit, a reset in seconds and a remaining count below
    the limit take few distinct values, and a dict lookup costs a fraction of ``int(bytes)``."""

    def __missing__(self, raw: bytes) -> float | None:
        number = _number(raw)
        if len(self) < 4096:
            self[raw] = number
        return number


_NUMBERS = _Numbers()


def _classify(name: bytes) -> tuple[int, str] | None:
    """``b"X-RateLimit-Remaining-Default"`` -> ``(1, "default")``; None for other headers."""
    lowered = name.lower()
    if lowered.startswith(_PREFIX):
        rest = lowered[len(_PREFIX) :]
        for kind, slot in _KINDS:
            if rest.startswith(kind) and len(rest) > len(kind):
                return (slot, rest[len(kind) :].decode("latin-1"))
    return None  # un-suffixed or unknown forms are ignored, as documented


def _layout(names: tuple[bytes, ...]) -> _Layout:
    """Where the rate-limit headers among ``names`` sit (a later repeat of a header wins)."""
    positions: dict[str, list[int | None]] = {}
    for position, name in enumerate(names):
        kind = _classify(name)
        if kind is not None:
            slot, limit_name = kind
            positions.setdefault(limit_name, [None, None, None])[slot] = position
    layout = tuple((name, *at) for name, at in positions.items())
    if len(_LAYOUTS) < _LAYOUTS_MAX:
        _LAYOUTS[names] = layout  # type: ignore[assignment]
    return layout  # type: ignore[return-value]


# Larger magnitudes are not counts or seconds any server means; they would also overflow a float.
_LARGEST = 10**15


def _number(raw: bytes) -> float | None:
    """A header value as a number: ints stay ints; junk, NaN, infinities and absurd magnitudes
    are ``None``."""
    try:
        whole = int(raw)
    except ValueError:
        pass
    else:
        return whole if -_LARGEST <= whole <= _LARGEST else None
    try:
        value = float(raw)
    except ValueError:
        return None
    if value != value or not -_LARGEST <= value <= _LARGEST:  # NaN, infinities, absurd
        return None
    return value


def parse_rate_limit_headers(raw_headers: Iterable[tuple[bytes, bytes]]) -> Reported | None:
    """Collect every ``X-RateLimit-{Limit,Remaining,Reset}-<Name>`` triplet of a response.

    Args:
        raw_headers: The response's header pairs as bytes, in any letter case.

    Returns:
        ``{name: ReportedLimit(limit, remaining, reset)}`` in the order names first appear, or
        ``None`` when the response has no rate-limit headers.
    """
    if type(raw_headers) is not tuple:
        raw_headers = tuple(raw_headers)
    names = tuple(map(_name_of, raw_headers))
    layout = _LAYOUTS.get(names)
    if layout is None:
        layout = _layout(names)
    if not layout:
        return None
    numbers = _NUMBERS
    found: Reported = {}
    for name, limit, remaining, reset in layout:
        found[name] = _record(
            ReportedLimit,
            (
                None if limit is None else numbers[raw_headers[limit][1]],
                None if remaining is None else numbers[raw_headers[remaining][1]],
                None if reset is None else numbers[raw_headers[reset][1]],
            ),
        )
    return found


def parse_retry_after(value: str | None) -> float | None:
    """Read a ``Retry-After`` header given in seconds (an HTTP date is ignored)."""
    if value is None:
        return None
    return _seconds(_number(value.strip().encode("latin-1", "replace")))


def _count(value: float | None) -> int | None:
    return None if value is None else max(0, int(value))


def _seconds(value: float | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None  # an integer header too large for a float: as unreadable as "1e999"
    return max(0.0, seconds)


def to_public(reported: Reported | None, observed_at: float) -> dict[str, RateLimit]:
    """One response's report as public :class:`RateLimit` objects, by name.

    Negative counts and resets are read as zero.
    """
    if not reported:
        return {}
    return {
        name: RateLimit(
            name=name,
            limit=_count(limit),
            remaining=_count(remaining),
            reset=_seconds(reset),
            observed_at=observed_at,
        )
        for name, (limit, remaining, reset) in reported.items()
    }


def largest_reset(reported: Reported | None) -> float | None:
    """The largest ``Reset`` in a report, in seconds (at least zero), or ``None``."""
    if not reported:
        return None
    resets = [_seconds(reset) for (_limit, _remaining, reset) in reported.values()]
    known = [reset for reset in resets if reset is not None]
    return max(known) if known else None


class RateLimitState:
    """The latest report of every named limit for one client.

    Updated from every response; read through ``CalBookings.rate_limits``. Reports are kept as
    parsed and turned into :class:`RateLimit` objects only when read.
    """

    __slots__ = ("latest",)

    def __init__(self) -> None:
        #: Limit name -> (the latest report of it, when it was observed).
        self.latest: dict[str, tuple[ReportedLimit, float]] = {}

    def update(self, reported: Reported, observed_at: float) -> None:
        """Record one response's report, observed at monotonic time ``observed_at``."""
        latest = self.latest
        for name, entry in reported.items():
            latest[name] = (entry, observed_at)

    def as_mapping(self) -> Mapping[str, RateLimit]:
        """Every limit seen so far, by lower-case name."""
        result: dict[str, RateLimit] = {}
        for name, (entry, observed_at) in self.latest.items():
            result.update(to_public({name: entry}, observed_at))
        return result

"""Checks on what the caller passes in, run before anything is sent.

Each check raises :class:`~calbookings_async.InvalidArgumentError` naming the argument at fault,
so a bad value never turns into a confusing server error (or, worse, a request to the wrong
URL). The checks are also attrs validators for the request-body classes.

This module imports only ``_errors``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ._errors import InvalidArgumentError

__all__ = [
    "check_aware_datetime",
    "check_bool",
    "check_clock",
    "check_email",
    "check_int",
    "check_number",
    "check_str",
    "check_text",
    "check_uid",
    "items_of",
    "quote_segment",
]

# ASCII control characters, DEL and the C1 controls: never part of an identifier, and the
# raw form of header/URL injection.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters that need no percent-encoding in a path segment; uids are nearly always these.
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")
# Pragmatic address check: one @, something on each side, a dot in the domain, no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _type_name(value: Any) -> str:
    return type(value).__name__


def check_str(argument: str, value: Any, *, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a string (non-empty unless allowed) without control characters.

    Raises:
        InvalidArgumentError: Not a string, empty, or containing control characters.
    """
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, f"expected a string, got {_type_name(value)}")
    if not allow_empty and not value.strip():
        raise InvalidArgumentError(argument, "must not be empty")
    if _CONTROL.search(value):
        raise InvalidArgumentError(argument, "must not contain control characters")
    return value


def check_text(argument: str, value: Any) -> str:
    """Return ``value`` if it is a string of free text (newlines and tabs allowed, NUL not).

    Raises:
        InvalidArgumentError: Not a string, or containing NUL.
    """
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, f"expected a string, got {_type_name(value)}")
    if "\x00" in value:
        raise InvalidArgumentError(argument, "must not contain NUL characters")
    return value


def check_uid(argument: str, value: Any) -> str:
    """Return a booking (or seat) uid fit for a URL path, percent-encoded.

    Any character that could change which URL is called (``/``, ``?``, ``#``, ``%``, spaces) is
    percent-encoded; control characters (CR, LF, NUL, ...) are refused outright, and so are
    ``.`` and ``..``, which a proxy normalising URLs would resolve to another path even when
    encoded.

    Raises:
        InvalidArgumentError: Not a non-empty string, ``.`` or ``..``, or containing control
            characters.
    """
    if value.__class__ is str and _PLAIN_SEGMENT.fullmatch(value) and value not in (".", ".."):
        return value  # the common case, checked with one regex
    check_str(argument, value)
    if value in (".", ".."):
        raise InvalidArgumentError(argument, f"{value!r} is not a uid (it is a path step)")
    return quote_segment(value)


def quote_segment(value: str) -> str:
    """Percent-encode ``value`` as one URL path segment (nothing is left as a delimiter)."""
    if value in (".", ".."):
        # Dot segments are resolved away by URL normalisation; encode them so they stay put.
        return value.replace(".", "%2E")
    return quote(value, safe="")


def check_email(argument: str, value: Any) -> str:
    """Return ``value`` if it looks like an email address.

    Raises:
        InvalidArgumentError: Not a string shaped like ``name@domain.tld``.
    """
    check_str(argument, value)
    if not _EMAIL.fullmatch(value):
        raise InvalidArgumentError(argument, f"{value!r} is not an email address")
    return str(value)


def check_bool(argument: str, value: Any) -> bool:
    """Return ``value`` if it is a ``bool``.

    Raises:
        InvalidArgumentError: Not a ``bool`` (``0``/``1`` and strings are refused).
    """
    if value is not True and value is not False:
        raise InvalidArgumentError(argument, f"expected True or False, got {_type_name(value)}")
    return bool(value)


def check_int(
    argument: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` if it is an ``int`` (not a ``bool``) within the bounds.

    Raises:
        InvalidArgumentError: Not an integer, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(argument, f"expected an integer, got {_type_name(value)}")
    if minimum is not None and value < minimum:
        raise InvalidArgumentError(argument, _range_text(minimum, maximum, value))
    if maximum is not None and value > maximum:
        raise InvalidArgumentError(argument, _range_text(minimum, maximum, value))
    return value


def check_number(
    argument: str,
    value: Any,
    *,
    minimum: float | None = None,
    allow_none: bool = False,
) -> float | None:
    """Return ``value`` as a float if it is a finite real number at or above ``minimum``.

    Raises:
        InvalidArgumentError: Not a number, not finite, or below the minimum.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(argument, f"expected a number, got {_type_name(value)}")
    if not math.isfinite(value):
        raise InvalidArgumentError(argument, "must be a finite number")
    if minimum is not None and value < minimum:
        raise InvalidArgumentError(argument, f"must be at least {minimum:g}, got {value:g}")
    return float(value)


def check_aware_datetime(argument: str, value: Any) -> datetime:
    """Return ``value`` if it is a timezone-aware ``datetime``.

    Raises:
        InvalidArgumentError: Not a ``datetime``, or naive (no timezone).
    """
    if not isinstance(value, datetime):
        raise InvalidArgumentError(argument, f"expected a datetime, got {_type_name(value)}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            argument,
            "naive datetime: give a timezone-aware datetime (for example with tzinfo=timezone.utc)",
        )
    return value


def check_clock(argument: str, value: Any) -> Any:
    """Return ``value`` if it has the ``Clock`` protocol's methods (``monotonic`` and ``sleep``).

    Raises:
        InvalidArgumentError: ``monotonic`` or ``sleep`` is missing or not callable.
    """
    for method in ("monotonic", "sleep"):
        if not callable(getattr(value, method, None)):
            raise InvalidArgumentError(
                argument,
                f"expected a clock with monotonic() and sleep(), got {_type_name(value)}",
            )
    return value


def _range_text(minimum: int | None, maximum: int | None, value: int) -> str:
    if minimum is not None and maximum is not None:
        return f"must be between {minimum} and {maximum}, got {value}"
    if minimum is not None:
        return f"must be at least {minimum}, got {value}"
    return f"must be at most {maximum}, got {value}"


def items_of(argument: str, value: Any) -> list[Any]:
    """Return the items of a list/tuple argument (a lone string is refused, not iterated).

    Raises:
        InvalidArgumentError: Not a list or tuple.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidArgumentError(argument, f"expected a list, got {_type_name(value)}")
    return list(value)

"""Wire-level helpers of the emulator: timestamps, strict ISO 8601 parsing, ids and JSON bytes.

Everything here is a small pure function used on the request hot path, so the module keeps to the
standard library and orjson. Times inside the emulator are integer milliseconds since the Unix
epoch (cheap to compare, sort and store); they are turned into the live server's text form,
``2024-08-13T15:30:00.000Z``, only when a response is built. This module must not import aiohttp
or anything from the rest of ``calbookings_async``.
"""

from __future__ import annotations

import calendar
import random
import re
import time
from typing import Any

import orjson

__all__ = [
    "BASE58",
    "dumps",
    "format_ms",
    "iso_now",
    "new_seat_uid",
    "new_uid",
    "parse_iso8601",
]

#: The flickr base58 alphabet used by the ``short-uuid`` package that Cal.com builds its uids with.
BASE58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

_ISO_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def dumps(value: Any) -> bytes:
    """Encode a JSON value the way every emulator response body is encoded.

    Args:
        value: Any JSON-shaped value (dicts, lists, strings, numbers, booleans, None).

    Returns:
        The UTF-8 JSON bytes.
    """
    return orjson.dumps(value)


def format_ms(ms: int) -> str:
    """Format epoch milliseconds like a JavaScript ``Date`` serialised to JSON.

    Args:
        ms: Milliseconds since the Unix epoch (UTC).

    Returns:
        ISO 8601 UTC text with milliseconds, e.g. ``2024-08-13T15:30:00.000Z``.
    """
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{millis:03d}Z"
    )


def iso_now(wall_seconds: float) -> str:
    """Format a wall-clock reading (epoch seconds) as an error-envelope timestamp."""
    return format_ms(int(wall_seconds * 1000))


def parse_iso8601(text: str) -> tuple[int, bool] | None:
    """Parse strict ISO 8601 text (validator.js ``isISO8601({strict: true})``) to epoch ms.

    A date alone means midnight UTC; a date-time without an offset is read as UTC, as the live
    server (running in UTC) reads it.

    Args:
        text: The candidate date string.

    Returns:
        ``(epoch_ms, is_utc)`` where ``is_utc`` says whether the text carried no offset, ``Z`` or a
        zero offset; or None when the text is not a valid ISO 8601 date (including impossible dates
        such as February 30).
    """
    match = _ISO_RE.match(text)
    if match is None:
        return None
    year, month, day = int(match["y"]), int(match["mo"]), int(match["d"])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    hour = int(match["h"] or 0)
    minute = int(match["mi"] or 0)
    second = int(match["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    fraction = match["f"] or "0"
    millis = int((fraction + "00")[:3])
    offset_ms = 0
    tz = match["tz"]
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        tz_h = int(digits[:2])
        tz_m = int(digits[2:4] or 0)
        if tz_h > 23 or tz_m > 59:
            return None
        offset_ms = sign * (tz_h * 3600 + tz_m * 60) * 1000
    epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    return epoch * 1000 + millis - offset_ms, offset_ms == 0


def new_uid(rng: random.Random) -> str:
    """Return a 22-character flickr-base58 booking uid, like ``short-uuid`` produces.

    Args:
        rng: The emulator's seeded generator, so uids are reproducible under a seed.
    """
    n = rng.getrandbits(128)
    chars = []
    for _ in range(22):
        n, rem = divmod(n, 58)
        chars.append(BASE58[rem])
    return "".join(chars)


def new_seat_uid(rng: random.Random) -> str:
    """Return a UUID-4-shaped string (seat uids and recurring series uids look like this)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"

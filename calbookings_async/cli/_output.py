"""How the command line prints bookings: JSON lines (snake_case, as the models name fields) or a
fixed-width table that can be printed row by row while a listing is still being walked.

Imports ``attrs``, ``orjson`` and the public models only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import IO, Any

import attrs
import orjson

from .._models import Booking

__all__ = ["TABLE_HEADER", "booking_json", "booking_row", "write_attendees", "write_bookings"]

_COLUMNS = (("UID", 22), ("STATUS", 11), ("START (UTC)", 16), ("MIN", 4), ("ATTENDEE", 32))
TABLE_HEADER = "  ".join(name.ljust(width) for name, width in _COLUMNS) + "  TITLE"


def booking_json(booking: Any) -> bytes:
    """One booking (any attrs model) as a compact JSON object with snake_case keys.

    Datetimes are ISO 8601 in UTC with a ``Z``; enums are their values; free-form objects
    (``metadata``, ``booking_fields_responses``) keep their keys as sent.
    """
    return orjson.dumps(attrs.asdict(booking, recurse=True), option=orjson.OPT_UTC_Z)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def booking_row(booking: Booking) -> str:
    """One booking as a row of the table under :data:`TABLE_HEADER`."""
    status = booking.status
    attendee = booking.attendees[0].email if booking.attendees else "-"
    if len(booking.attendees) > 1:
        attendee = f"{attendee} +{len(booking.attendees) - 1}"
    cells = (
        booking.uid,
        str(getattr(status, "value", status)),
        _when(booking.start),
        str(booking.duration if booking.duration is not None else "-"),
        attendee,
    )
    row = "  ".join(
        _cut(cell, width).ljust(width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True)
    )
    return f"{row}  {_cut(booking.title or '', 60)}".rstrip()


def write_bookings(
    out: IO[str], bookings: Iterable[Booking], table: bool, *, header: bool = False
) -> int:
    """Write bookings as JSON lines or table rows (with the header first if asked)."""
    count = 0
    lines: list[str] = [TABLE_HEADER] if table and header else []
    for booking in bookings:
        lines.append(booking_row(booking) if table else booking_json(booking).decode())
        count += 1
    if lines:
        out.write("\n".join(lines) + "\n")
    return count


def write_attendees(stream: IO[str], booking_uid: str, attendees: Iterable[Any]) -> int:
    """Attendees as JSON lines, each with the ``booking_uid`` it belongs to; returns how many."""
    count = 0
    for attendee in attendees:
        row = {"booking_uid": booking_uid, **attrs.asdict(attendee, recurse=True)}
        stream.write(orjson.dumps(row, option=orjson.OPT_UTC_Z).decode() + "\n")
        count += 1
    return count

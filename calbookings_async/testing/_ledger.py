"""The ledger: an append-only record of every state change the emulator applied.

Each successful write (create, reschedule, cancel, confirm, ...) appends one :class:`LedgerEntry`
with its sequence number, operation, booking uids, the request body, the resulting booking states,
the credential tracker and the time. Fault-injection tests read it to prove that a retrying client
applied no write twice and lost none: :meth:`Ledger.duplicates` groups applications of the
operations that are unsafe to repeat. Stdlib only; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["UNSAFE_OPERATIONS", "Ledger", "LedgerEntry"]

#: Operations whose repetition changes state again (a retried create books twice).
UNSAFE_OPERATIONS = frozenset(
    {"create", "legacy_create", "reschedule", "add_guests", "reassign", "add_attendee"}
)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One applied state change.

    Attributes:
        seq: 1-based sequence number, in application order.
        operation: ``create``, ``reschedule``, ``cancel``, ``mark_absent``, ``reassign``,
            ``reassign_to_user``, ``confirm``, ``decline``, ``update_location``, ``add_guests``,
            ``add_attendee``, ``remove_attendee``, ``request_reschedule``, ``report_booking``,
            ``block_booking``, ``legacy_create`` or ``legacy_cancel``.
        uids: Uids of the bookings the change touched (for a reschedule: old uid, then new).
        body: The request body as the server received it (``None`` for body-less operations).
        result: The JSON states of the touched bookings right after the change.
        tracker: The rate-limit tracker of the caller (``api_key_<sha256>``, ``ip_...``).
        time: Wall-clock time of the change (epoch seconds).
        route: ``METHOD /path/template`` of the request.
        request_id: The response's ``X-Request-Id``.
    """

    seq: int
    operation: str
    uids: tuple[str, ...]
    body: Any
    result: tuple[dict[str, Any], ...]
    tracker: str
    time: float
    route: str
    request_id: str


class Ledger:
    """Append-only list of :class:`LedgerEntry`, with query helpers for tests."""

    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []

    def record(
        self,
        operation: str,
        uids: tuple[str, ...],
        *,
        body: Any,
        result: tuple[dict[str, Any], ...],
        tracker: str,
        time: float,
        route: str,
        request_id: str,
    ) -> LedgerEntry:
        """Append an entry (the server calls this after applying a write)."""
        entry = LedgerEntry(
            seq=len(self._entries) + 1,
            operation=operation,
            uids=uids,
            body=body,
            result=result,
            tracker=tracker,
            time=time,
            route=route,
            request_id=request_id,
        )
        self._entries.append(entry)
        return entry

    @property
    def entries(self) -> list[LedgerEntry]:
        """A copy of every entry, oldest first."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(list(self._entries))

    def clear(self) -> None:
        """Forget every entry (sequence numbers restart at 1)."""
        self._entries.clear()

    def count(self, operation: str | None = None, uid: str | None = None) -> int:
        """Count entries, optionally only of one operation and/or touching one uid.

        Args:
            operation: Operation name to match, or None for all.
            uid: Booking uid the entry must touch, or None for all.
        """
        return sum(
            1
            for e in self._entries
            if (operation is None or e.operation == operation) and (uid is None or uid in e.uids)
        )

    def for_uid(self, uid: str) -> list[LedgerEntry]:
        """Every entry that touched a booking uid, oldest first."""
        return [e for e in self._entries if uid in e.uids]

    def duplicates(self) -> dict[tuple[Any, ...], list[LedgerEntry]]:
        """Group repeated applications of unsafe operations.

        The identity of each kind of write:

        - create: attendee email (or phone), start and metadata (the client's idempotency marker);
        - reschedule: the uid being rescheduled;
        - add-guests: the booking uid and the set of guest emails;
        - add attendee: the booking uid and the attendee's email;
        - automatic reassign: the booking uid.

        Returns:
            identity key -> entries, for every identity applied more than once.
        """
        groups: dict[tuple[Any, ...], list[LedgerEntry]] = {}
        for entry in self._entries:
            key = _identity(entry)
            if key is not None:
                groups.setdefault(key, []).append(entry)
        return {k: v for k, v in groups.items() if len(v) > 1}


def _identity(entry: LedgerEntry) -> tuple[Any, ...] | None:
    if entry.operation not in UNSAFE_OPERATIONS:
        return None
    body = entry.body if isinstance(entry.body, dict) else {}
    if entry.operation in ("create", "legacy_create"):
        attendee = body.get("attendee") if entry.operation == "create" else body.get("responses")
        who = None
        if isinstance(attendee, dict):
            who = attendee.get("email") or attendee.get("phoneNumber")
        metadata = orjson.dumps(body.get("metadata") or {}, option=orjson.OPT_SORT_KEYS)
        return ("create", who, body.get("start"), metadata)
    if entry.operation == "reschedule":
        return ("reschedule", entry.uids[0] if entry.uids else None)
    if entry.operation == "add_guests":
        guests = body.get("guests") or []
        emails = tuple(sorted(str(g.get("email")) for g in guests if isinstance(g, dict)))
        return ("add_guests", entry.uids[0] if entry.uids else None, emails)
    if entry.operation == "add_attendee":
        return ("add_attendee", entry.uids[0] if entry.uids else None, body.get("email"))
    return ("reassign", entry.uids[0] if entry.uids else None)

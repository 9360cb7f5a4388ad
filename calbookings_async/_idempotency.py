"""Idempotency keys: an unsafe write made once per key, across retries, crashes and workers.

Cal.com has no idempotency key (API-NOTES §9), so the SDK keeps one in a journal (``_journal``)
and reads the server's state back whenever the journal cannot say how a write ended. For a call
with ``idempotency_key=``, :func:`once`:

1. **Claims** the key in the journal (atomic across processes). A key recorded ``done`` returns
   the recorded answer, decoded again, and sends nothing (:attr:`~Booking.replayed` true). A key
   recorded for another request (another fingerprint) is refused with ``InvalidArgumentError``
   naming ``idempotency_key``. A key another live caller holds is waited for (up to the call's
   deadline) and its outcome returned.
2. **Settles** an entry left in flight (``claimed``, ``sent`` or ``uncertain``: a crash, a
   timeout, a dropped connection) by the write's **read-back** before anything is sent: found,
   the write's result is recorded and returned (:attr:`~Booking.settled` true); proved absent,
   the write is sent; not answerable (the read fails), the call raises
   :class:`UnsettledWriteError` (``may_have_been_applied`` true) and sends nothing.
3. **Sends** the write (the claim itself says it may be out: ``claimed`` is settled like ``sent`` by
   a later caller; ``sent`` is recorded first only to keep a note) and records the outcome: ``done``
   with the answer; ``failed`` for a definite failure (a later call with the key sends again); for
   an uncertain failure, the read-back at once: found, settled as above; otherwise the entry stays
   ``uncertain`` and the error is raised (still ``may_have_been_applied``): the server may still be
   working on the request, so it is not sent again now; the next call with the key reads back again
   first.

What each write's read-back looks for is the endpoint's business (``_bookings`` gives a
``find`` coroutine): a create's key in the booking's ``metadata`` (or a seated attendee's) under
:data:`METADATA_KEY`; a reschedule's ``rescheduledToUid``; an added guest or attendee by email;
an automatic reassignment's host against the one recorded before the call (the entry's note).

Imports ``_journal``, ``_models``, ``_validate``, ``_errors`` and ``_types``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson

from ._errors import CalError, InvalidArgumentError
from ._journal import IN_FLIGHT, LEASE, Journal, JournalBusyError, JournalClaim
from ._models import as_replayed, as_settled
from ._types import JSONObject
from ._validate import check_str

__all__ = [
    "MAX_KEY_LENGTH",
    "METADATA_KEY",
    "UnsettledWriteError",
    "check_key",
    "fingerprint",
    "once",
]

T = TypeVar("T")

logger = logging.getLogger("calbookings_async")

#: The metadata key under which a create with ``idempotency_key=`` carries its key (Cal.com
#: allows 50 metadata keys of up to 40 characters, with string values up to 500).
METADATA_KEY = "calbookings_idempotency_key"
#: The longest idempotency key (it travels as a metadata value, whose limit is 500).
MAX_KEY_LENGTH = 200
#: Journal keys of idempotency keys live under this prefix, apart from a bulk run's items.
KEY_PREFIX = "key:"


class UnsettledWriteError(CalError):
    """A write left in flight by an earlier call could not be read back: nothing was sent.

    The journal says the write with this key may be out (a crash, a timeout or a dropped
    connection ended the earlier call), and reading the server's state back failed, so the SDK
    cannot tell whether sending again would apply it twice. Try again later: the next call with
    the key reads back again.

    Attributes:
        key: The idempotency key.
        read_back_error: Why the read-back failed.
    """

    may_have_been_applied = True

    def __init__(self, key: str, read_back_error: CalError) -> None:
        super().__init__(
            f"the write with idempotency key {key!r} may have been applied by an earlier call,"
            f" and reading it back failed ({type(read_back_error).__name__}); nothing was sent"
        )
        self.key = key
        self.read_back_error = read_back_error


def check_key(key: object) -> str:
    """An idempotency key checked: a non-empty string of printable characters, at most
    :data:`MAX_KEY_LENGTH` long.

    Raises:
        InvalidArgumentError: Names ``idempotency_key``.
    """
    if isinstance(key, str) and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidArgumentError(
            "idempotency_key", f"must have 1 to {MAX_KEY_LENGTH} characters, got {len(key)}"
        )
    return check_str("idempotency_key", key)


def fingerprint(operation: str, path: str, body: Any) -> str:
    """What a key stands for: a digest of the operation, the path and the body as sent."""
    text = orjson.dumps([operation, path, body], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()[:32]


async def once(
    journal: Journal,
    key: str,
    *,
    operation: str,
    fingerprint: str,
    send: Callable[[], Awaitable[tuple[T, JSONObject]]],
    find: Callable[[str | None], Awaitable[JSONObject | None]],
    decode: Callable[[JSONObject], T],
    prepare: Callable[[], Awaitable[str | None]] | None = None,
    wait: float | None = None,
    left_in_flight: bool = False,
) -> T:
    """Make the write once per ``key`` (see the module docstring).

    Args:
        journal: Where the key's entry lives.
        key: The caller's idempotency key (checked with :func:`check_key`).
        operation: The operation's name (for log lines).
        fingerprint: The request's digest (:func:`fingerprint`).
        send: Sends the write: its result and the answer's envelope.
        find: The read-back, given the entry's note: an envelope ``decode`` accepts when the
            write is applied, ``None`` when it is proved absent; raises ``CalError`` when it
            cannot tell.
        decode: The write's decoder (for recorded and found envelopes).
        prepare: Reads what the read-back will need before the first send (the note).
        wait: Longest wait for another caller holding the key (``None``: its lease).
        left_in_flight: The call is a bulk item an earlier run left in flight: a key without
            an entry is read back too before sending (the earlier run may have sent the
            write without the key's entry, from a journal of another version).

    Raises:
        InvalidArgumentError: ``key`` was recorded for another request.
        JournalBusyError: Another caller held the key for longer than ``wait``.
        UnsettledWriteError: The write may be out, and reading it back failed.
        CalError: The write's own failure (uncertain or definite), as the call raised it.
    """
    name = KEY_PREFIX + key
    claim = await _claim(journal, name, key, fingerprint, wait)
    if not claim.won:
        recorded = claim.previous.result if claim.previous is not None else None
        if recorded is None:
            raise InvalidArgumentError(
                "idempotency_key", f"{key!r} is recorded done without an answer to return"
            )
        return as_replayed(decode(orjson.loads(recorded)))
    token = claim.token
    try:
        previous = claim.previous
        if (previous is None and left_in_flight) or (
            previous is not None and previous.state in IN_FLIGHT
        ):
            note = None if previous is None else previous.note
            found = await _read_back(journal, name, token, key, find, note)
            if found is not None:
                return await _settled(journal, name, token, operation, key, found, decode)
            if note is None and prepare is not None:
                note = await prepare()
        else:
            note = None if prepare is None else await prepare()
        if note is not None:
            # Only a note needs this step: "claimed" already reads as in flight to every later
            # caller (it is settled by reading back), so the claim stands for "sent" too.
            await journal.record(name, "sent", token=token, note=note)
        try:
            result, envelope = await send()
        except CalError as failure:
            return await _after_failure(
                journal, name, token, operation, key, failure, find, note, decode
            )
    except BaseException as problem:
        if not isinstance(problem, CalError):
            # Cut off (cancelled) or a bug: the write may be out; the next call settles it.
            with contextlib.suppress(Exception):
                await asyncio.shield(journal.record(name, "uncertain", token=token))
        raise
    await _record_done(journal, name, token, envelope)
    return result


async def _claim(
    journal: Journal, name: str, key: str, digest: str, wait: float | None
) -> JournalClaim:
    """Claim the entry, waiting once for another live holder; refuse another request's key."""
    claim = await journal.claim(name, digest, lease=LEASE)
    for turn in (1, 2):
        previous = claim.previous
        if claim.won:
            return claim
        assert previous is not None
        if previous.fingerprint != digest:
            raise InvalidArgumentError(
                "idempotency_key",
                f"{key!r} was used for another request (its entry is {previous.state}):"
                " one key stands for one request; use a new key for a new request",
            )
        if previous.state == "done":
            return claim
        if turn == 2:
            break
        await journal.wait(name, timeout=LEASE if wait is None else wait)
        claim = await journal.claim(name, digest, lease=LEASE)
    raise JournalBusyError(name)


async def _read_back(
    journal: Journal,
    name: str,
    token: str,
    key: str,
    find: Callable[[str | None], Awaitable[JSONObject | None]],
    note: str | None,
) -> JSONObject | None:
    """The read-back of an entry left in flight; raises UnsettledWriteError when it fails."""
    try:
        return await find(note)
    except CalError as problem:
        await journal.record(name, "uncertain", token=token)
        raise UnsettledWriteError(key, problem) from None


async def _after_failure(
    journal: Journal,
    name: str,
    token: str,
    operation: str,
    key: str,
    failure: CalError,
    find: Callable[[str | None], Awaitable[JSONObject | None]],
    note: str | None,
    decode: Callable[[JSONObject], T],
) -> T:
    """After the write failed: record a definite failure; settle an uncertain one if the
    read-back finds the write, else record it uncertain; raise ``failure`` unless settled."""
    if not failure.may_have_been_applied or isinstance(failure, InvalidArgumentError):
        await journal.record(name, "failed", token=token, error=str(failure)[:200])
        raise failure
    try:
        found = await find(note)
    except CalError as problem:
        failure.read_back_error = problem  # type: ignore[attr-defined]
        found = None
    if found is None:
        await journal.record(name, "uncertain", token=token)
        raise failure
    return await _settled(journal, name, token, operation, key, found, decode)


async def _settled(
    journal: Journal,
    name: str,
    token: str,
    operation: str,
    key: str,
    envelope: JSONObject,
    decode: Callable[[JSONObject], T],
) -> T:
    """A write found applied by its read-back: recorded done, returned marked settled."""
    result = decode(envelope)
    await _record_done(journal, name, token, envelope)
    logger.info(
        "settled %s with idempotency key %r: read back, the write was applied", operation, key
    )
    return as_settled(result)


async def _record_done(journal: Journal, name: str, token: str, envelope: JSONObject) -> None:
    """Record the answer; a journal that fails now leaves the entry ``sent`` (the next call
    with the key finds the write by reading back), and the result stands."""
    try:
        await journal.record(name, "done", token=token, result=orjson.dumps(envelope).decode())
    except CalError as problem:
        logger.warning(
            "the journal could not record %s as done (%s); the next call with the key reads"
            " the write back",
            name,
            type(problem).__name__,
        )

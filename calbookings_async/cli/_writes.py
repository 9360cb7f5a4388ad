"""The write commands (``decline``, ``cancel``, ``confirm``, ``mark-absent``, ``reschedule``):
one call per item through the bulk runner, with progress and a summary on standard error.

Changed bookings go to standard output; failures are written between the progress lines (the
first :data:`SHOWN_FAILURES`, then only counted); ``--failed-out`` gets every failed and
unfinished item, ready to be fed back. Ctrl+C cancels the calls in flight, waits for them and
reports. ``--dry-run`` sends nothing (see ``_dryrun``). Each item's outcome is recorded in a
journal (see ``_resume``): the same command run again skips the items done, settles the items
left in flight and sends the rest, and the summary says how many of each.

Imports the public package, ``_bulk`` (the ``Outcome`` type, the item journal), ``_stores``
(its SQLite file) and the command line's modules.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sized
from datetime import datetime
from typing import IO, Any

import attrs

from .. import (
    AddAttendeeInput,
    APIStatusError,
    Booking,
    BookingAttendee,
    Bookings,
    BulkRun,
    CalBookings,
    CalError,
    InvalidArgumentError,
    MarkAbsentAttendee,
    RateLimitError,
)
from .._bulk import Outcome, item_left_in_flight
from .._journal import SQLiteJournal
from ._args import parse_when
from ._common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Tally,
    UsageError,
    describe,
    open_client,
)
from ._dryrun import dry_run
from ._items import input_digest, open_items
from ._output import write_attendees, write_bookings
from ._progress import BulkProgress, pacer_report
from ._resume import forget, journal_path, prepare

__all__ = ["SHOWN_FAILURES", "LeftInFlight", "bookings_of", "run_writes", "write_operation"]

#: Failure messages printed one by one before the rest are only counted.
SHOWN_FAILURES = 10

ItemCall = Callable[[str], Awaitable[Any]]


def write_operation(
    args: argparse.Namespace, bookings: Bookings, *, keyed: bool = False
) -> ItemCall:
    """The call a write command makes for one item (a uid, or 'UID START' for reschedule).

    State-setting writes of an item an earlier run left in flight are settled by the SDK (a
    refusal such as "already cancelled" is read back). With ``keyed`` (the run has a journal,
    which the client keeps idempotency keys in), the unsafe writes (reschedule, add-attendee)
    carry an idempotency key made from the command and the line, so that a resumed run reads
    an item left in flight back instead of sending it again.
    """
    command = args.command
    if command == "decline":
        reason = args.reason
        return lambda uid: bookings.decline(uid.split()[0], reason=reason)
    if command == "cancel":
        reason = args.reason
        subsequent = True if args.cancel_subsequent else None
        return lambda uid: bookings.cancel(
            uid.split()[0], reason=reason, cancel_subsequent_bookings=subsequent
        )
    if command == "confirm":
        return lambda uid: bookings.confirm(uid.split()[0])
    if command == "mark-absent":
        return _mark_absent(args, bookings)
    if command == "reschedule":
        return _reschedule(args, bookings, keyed)
    if command == "request-reschedule":
        reason = args.reason
        return lambda uid: bookings.request_reschedule(uid.split()[0], reason=reason)
    if command == "add-attendee":
        return _add_attendee(args, bookings, keyed)
    if command == "remove-attendee":
        return _remove_attendee(args, bookings)
    raise AssertionError(command)


def item_key(command: str, line: str) -> str:
    """The idempotency key of one item of a write command: the command and the line (a digest
    of the line when it is long)."""
    if len(line) <= 150 and line.isprintable():
        return f"{command}:{line}"
    return f"{command}:sha256:{hashlib.sha256(line.encode()).hexdigest()[:40]}"


def _add_attendee(args: argparse.Namespace, bookings: Bookings, keyed: bool) -> ItemCall:
    defaults = (args.email, args.time_zone, args.name)
    language = args.language

    async def add(line: str) -> BookingAttendee:
        parts = line.split()
        email, time_zone, name = defaults
        if len(parts) > 1:
            email = parts[1]
        if len(parts) > 2:
            time_zone = parts[2]
        if len(parts) > 3:
            name = " ".join(parts[3:])
        for field, value, option in (
            ("email", email, "--email"),
            ("time_zone", time_zone, "--time-zone"),
            ("name", name, "--name"),
        ):
            if not value:
                raise InvalidArgumentError(field, f"missing: give {option}, or put it in the line")
        person = AddAttendeeInput(email=email, name=name, time_zone=time_zone, language=language)
        if keyed:
            key = item_key("add-attendee", line)
            return await bookings.add_attendee(parts[0], person, idempotency_key=key)
        return await bookings.add_attendee(parts[0], person)

    return add


def _remove_attendee(args: argparse.Namespace, bookings: Bookings) -> ItemCall:
    default_id: int | None = args.attendee_id

    async def remove(line: str) -> BookingAttendee | None:
        parts = line.split()
        attendee_id = default_id
        if len(parts) > 1:
            if not parts[1].isdigit() or int(parts[1]) < 1:
                raise InvalidArgumentError(
                    "attendee_id", f"expected a positive whole number, got {parts[1]!r}"
                )
            attendee_id = int(parts[1])
        if attendee_id is None:
            raise InvalidArgumentError(
                "attendee_id", "missing: give 'UID ATTENDEE_ID', or --attendee-id"
            )
        try:
            return await bookings.remove_attendee(parts[0], attendee_id)
        except APIStatusError as error:
            # Left in flight by an earlier run, whose remove was applied: the attendee is gone.
            if not item_left_in_flight() or not 400 <= error.status_code < 500:
                raise
            if any(a.id == attendee_id for a in await bookings.attendees(parts[0])):
                raise
            return None

    return remove


def _mark_absent(args: argparse.Namespace, bookings: Bookings) -> ItemCall:
    attendees = [MarkAbsentAttendee(email=e, absent=True) for e in args.attendee_absent]
    attendees += [MarkAbsentAttendee(email=e, absent=False) for e in args.attendee_present]
    if args.host is None and not attendees:
        raise UsageError(
            "mark-absent: say who: --host-absent, --host-present, --attendee-absent EMAIL "
            "or --attendee-present EMAIL"
        )
    host = args.host
    return lambda uid: bookings.mark_absent(uid.split()[0], host=host, attendees=attendees or None)


def _reschedule(args: argparse.Namespace, bookings: Bookings, keyed: bool) -> ItemCall:
    default_start: datetime | None = args.start
    reason = args.reason
    by = args.rescheduled_by

    async def reschedule(line: str) -> Booking:
        parts = line.split()
        start = default_start
        if len(parts) > 1:
            try:
                start = parse_when(parts[1])
            except argparse.ArgumentTypeError as error:
                raise InvalidArgumentError("start", str(error)) from None
        if start is None:
            raise InvalidArgumentError("start", "missing: give --start, or a start after the uid")
        if keyed:
            key = item_key("reschedule", line)
            return await bookings.reschedule(
                parts[0], start=start, reason=reason, rescheduled_by=by, idempotency_key=key
            )
        if item_left_in_flight():
            # Not safe to repeat: an earlier run may have moved it. Never sent again blindly.
            raise LeftInFlight(parts[0])
        return await bookings.reschedule(parts[0], start=start, reason=reason, rescheduled_by=by)

    return reschedule


class LeftInFlight(CalError):
    """A reschedule an earlier run sent without seeing its answer: it may have been applied."""

    may_have_been_applied = True

    def __init__(self, uid: str) -> None:
        super().__init__(
            f"an earlier run sent this reschedule and stopped before its answer: it may have "
            f"been applied; check with 'calbookings get {uid}' (not sent again)"
        )


def bookings_of(result: object) -> list[Booking]:
    """The bookings in an operation's result (one, a series, or none)."""
    if isinstance(result, list):
        return [item for item in result if isinstance(item, Booking)]
    return list(result.occurrences or (result,)) if isinstance(result, Booking) else []


@contextlib.contextmanager
def _failed_out(args: argparse.Namespace) -> Iterator[IO[str] | None]:
    if args.failed_out is None:
        yield None
        return
    try:
        handle = open(args.failed_out, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as error:
        raise UsageError(
            f"--failed-out: cannot write {args.failed_out}: {error.strerror}"
        ) from None
    with handle:
        yield handle


async def run_writes(args: argparse.Namespace) -> int:
    """A write command over one or many items (``--dry-run``: sends nothing).

    The items' outcomes are recorded in a journal (``--journal``, or the default one of this
    command and input; see ``_resume``), so the same command run again resumes this one.
    """
    with open_items(args) as items, _failed_out(args) as failed_out:
        if args.dry_run:
            return await dry_run(args, items, lambda b: write_operation(args, b), failed_out)
        tally = Tally()
        async with (
            _journal(args, input_digest(items)) as journal,
            open_client(args, tally) as client,
        ):
            # The run's journal also keeps the idempotency keys of its unsafe writes.
            cal = client if journal is None else client.with_options(journal=journal)
            operation = write_operation(args, cal.bookings, keyed=journal is not None)
            return await _run(args, cal, items, operation, tally, failed_out, journal)


@contextlib.asynccontextmanager
async def _journal(args: argparse.Namespace, digest: str | None) -> AsyncIterator[Any]:
    """The run's journal, opened before anything is sent (``None``: standard input without
    ``--journal``); ``--fresh`` removes its file first."""
    path = journal_path(args, digest)
    if path is None:
        yield None
        return
    if args.fresh:
        forget(path)
    if args.journal is None:
        prepare(path)
    journal = None
    try:
        journal = SQLiteJournal(path)
        await journal.wait("bulk:", timeout=0)  # opens the file: fail before sending anything
    except (CalError, OSError) as error:
        if journal is not None:
            await journal.aclose()
        raise UsageError(f"--journal: cannot open {path}: {_problem(error)}") from None
    args.journal_in_use = str(path)
    try:
        yield journal
    finally:
        await journal.aclose()


def _problem(error: BaseException) -> str:
    """Why a journal could not be opened, without repeating its path."""
    if isinstance(error, InvalidArgumentError):
        return error.problem
    return getattr(error, "problem", None) or str(error)


@attrs.define
class _Counts:
    """What the run's outcomes added up to, beyond what the runner counts."""

    single: bool
    header: bool
    attempts: int = 0
    shown: int = 0
    uncertain: int = 0
    throttled_final: int = 0


class _CtrlC:
    """Ctrl+C stops the run cleanly: the calls in flight are cancelled and awaited."""

    def __init__(self, run: BulkRun[str, Any]) -> None:
        self.interrupted = False
        self._run = run
        self._loop = asyncio.get_running_loop()
        self._cancelling: list[asyncio.Task[None]] = []

    def __enter__(self) -> _CtrlC:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            self._loop.add_signal_handler(signal.SIGINT, self._interrupt)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            self._loop.remove_signal_handler(signal.SIGINT)

    def _interrupt(self) -> None:
        self.interrupted = True
        self._cancelling.append(self._loop.create_task(self._run.cancel()))

    async def settled(self) -> None:
        """Wait until the cancelling asked for is done."""
        if self._cancelling:
            await asyncio.gather(*self._cancelling)


async def _run(
    args: argparse.Namespace,
    cal: CalBookings,
    items: Iterable[str] | AsyncIterator[str],
    operation: ItemCall,
    tally: Tally,
    failed_out: IO[str] | None,
    journal: Any,
) -> int:
    counts = _Counts(
        single=isinstance(items, list) and len(items) == 1, header=args.format == "table"
    )
    shown = BulkProgress(
        args.command,
        total=len(items) if isinstance(items, Sized) else None,
        pacer=lambda: pacer_report(cal.pacer),
        visible=not counts.single and not args.quiet,
    )
    async with shown:
        run = cal.bulk(
            items, operation, concurrency=args.concurrency, on_progress=shown, journal=journal
        )
        with _CtrlC(run) as ctrl_c:
            async with run:
                async for outcome in run:
                    _take(args, outcome, counts, shown, failed_out)
            await ctrl_c.settled()
    unfinished = run.unfinished
    if failed_out is not None:
        failed_out.writelines(item + "\n" for item in unfinished)
    if not counts.single and not args.quiet:
        sys.stderr.write(_summary(args, run, counts, tally))
    if ctrl_c.interrupted or run.cancelled:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if run.failed or unfinished else EXIT_OK


def _take(
    args: argparse.Namespace,
    outcome: Outcome[str, Any],
    counts: _Counts,
    shown: BulkProgress,
    failed_out: IO[str] | None,
) -> None:
    counts.attempts += outcome.attempts
    error = outcome.error
    if error is None:
        bookings = bookings_of(outcome.result)
        if bookings and args.format != "none":
            write_bookings(sys.stdout, bookings, args.format == "table", header=counts.header)
            counts.header = False
        elif isinstance(outcome.result, BookingAttendee) and args.format != "none":
            write_attendees(sys.stdout, outcome.item.split()[0], [outcome.result])
        return
    if isinstance(error, CalError) and error.may_have_been_applied:
        counts.uncertain += 1
    if isinstance(error, RateLimitError):
        counts.throttled_final += 1
    if failed_out is not None:
        failed_out.write(outcome.item + "\n")
        failed_out.flush()
    if counts.single or counts.shown < SHOWN_FAILURES:
        counts.shown += 1
        shown.message(f"calbookings: {args.command} {outcome.item}: {describe(error)}")


def _summary(
    args: argparse.Namespace, run: BulkRun[str, Any], counts: _Counts, tally: Tally
) -> str:
    done, failed, unfinished = run.done, len(run.failed), len(run.unfinished)
    elapsed = run.elapsed
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [f"{done - failed} succeeded", f"{failed} failed"]
    if unfinished:
        parts.append(f"{unfinished} unfinished")
    lines = [
        f"{args.command}: {done} done in {elapsed:.1f} s ({rate:.1f}/s): " + ", ".join(parts),
        f"  HTTP attempts {counts.attempts}; retries {tally.retries}; "
        f"429 responses {tally.throttled + counts.throttled_final}",
    ]
    if run.stop_reason is not None and not run.cancelled:
        lines.append(f"  {run.stop_reason}")
    journal = getattr(args, "journal_in_use", None)
    if journal is not None:
        lines.append(
            f"  journal {journal}: {run.skipped} skipped as done, {run.settled} settled, "
            f"{done - run.skipped - run.settled} sent"
        )
    if failed > counts.shown:
        lines.append(f"  {failed - counts.shown} more failures not shown")
    if counts.uncertain:
        lines.append(
            f"  {counts.uncertain} failed item(s) may have been applied (no answer came back): "
            "read them back before repeating"
        )
    if args.failed_out is not None and (failed or unfinished):
        lines.append(f"  failed and unfinished uids written to {args.failed_out}")
    return "\n".join(lines) + "\n"

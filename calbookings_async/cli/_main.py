"""The ``calbookings`` command line: argument parsing and the commands that call the API.

Every command builds one :class:`CalBookings` from ``CAL_API_KEY`` (the key is never an option,
so it never lands in shell history, and it is never printed) and ``--base-url`` (default
``CAL_BASE_URL``, else https://api.cal.com). Reads print bookings to standard output as JSON
lines (snake_case) or a table. Write commands take uids as arguments or from ``--from-file``
(``-``: standard input), one per line, read lazily; they run through the bulk runner with a
progress bar and a summary on standard error, print each changed booking to standard output,
and write the uids that failed (or were cut off by Ctrl+C) to ``--failed-out`` so the same
command can take them again.

Exit codes: 0 everything succeeded; 1 an item or the call failed; 2 a usage or configuration
error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import os
import signal
import stat
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import IO, Any

from .. import (
    Booking,
    BookingListStatus,
    CalBookings,
    CalError,
    InvalidArgumentError,
    MarkAbsentAttendee,
    RateLimitError,
    RetryAttempt,
    RetryPolicy,
    SortOrder,
    Timeout,
)
from .._bulk import Outcome
from .._config import DEFAULT_BASE_URL
from ._output import write_bookings
from ._progress import ProgressBar

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DEFAULT_CONCURRENCY = 20
DEFAULT_PAGE_CONCURRENCY = 4
#: Failure messages printed one by one before the rest are only counted.
SHOWN_FAILURES = 10

WRITE_COMMANDS = ("decline", "cancel", "confirm", "mark-absent", "reschedule")


class UsageError(Exception):
    """A bad command line or configuration: reported on standard error, exit code 2."""


# --- argument types -------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def parse_when(text: str) -> datetime:
    """An ISO 8601 date or date-time; a value without a UTC offset is taken as UTC."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 date or time (2025-03-07 or 2025-03-07T10:00:00Z), got {text!r}"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _statuses(text: str) -> list[BookingListStatus]:
    statuses = []
    for part in text.split(","):
        name = part.strip().lower()
        try:
            statuses.append(BookingListStatus(name))
        except ValueError:
            choices = ", ".join(s.value for s in BookingListStatus)
            raise argparse.ArgumentTypeError(
                f"unknown status {part.strip()!r} (choose from {choices})"
            ) from None
    return statuses


def _ids(text: str) -> list[int]:
    return [_positive_int(part.strip()) for part in text.split(",") if part.strip()]


def _flat(groups: Sequence[Sequence[Any]] | None) -> list[Any] | None:
    return None if not groups else [value for group in groups for value in group]


# --- the parser -----------------------------------------------------------------------------------


def _global_options() -> argparse.ArgumentParser:
    # Defaults are SUPPRESS so that an option given before the command is not overwritten by
    # the subcommand's parser; the real defaults are filled in by _defaults().
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection (credentials come from CAL_API_KEY)")
    group.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        help=f"API base URL (default: $CAL_BASE_URL, else {DEFAULT_BASE_URL})",
    )
    group.add_argument(
        "--timeout",
        type=_positive_float,
        default=argparse.SUPPRESS,
        metavar="SECONDS",
        help="per-attempt timeout in seconds (default 30)",
    )
    group.add_argument(
        "--concurrency",
        type=_positive_int,
        default=argparse.SUPPRESS,
        metavar="N",
        help=f"items in flight at once (default {DEFAULT_CONCURRENCY}); for list --all, pages "
        f"fetched at once (default {DEFAULT_PAGE_CONCURRENCY})",
    )
    group.add_argument(
        "--no-pacing",
        action="store_true",
        default=argparse.SUPPRESS,
        help="do not hold requests back to stay inside the rate limits",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress bar and no summary on standard error",
    )
    return common


def _add_format(parser: argparse.ArgumentParser, *, none: bool = False) -> None:
    choices = ["jsonl", "table", "none"] if none else ["jsonl", "table"]
    parser.add_argument(
        "--format",
        choices=choices,
        default="jsonl",
        help="bookings as JSON lines, snake_case (default), or a table"
        + ("; none prints nothing" if none else ""),
    )


def _add_items(parser: argparse.ArgumentParser, what: str = "UID") -> None:
    parser.add_argument("uids", nargs="*", metavar=what, help="booking uid(s)")
    parser.add_argument(
        "--from-file",
        metavar="PATH",
        help="read the uids from a file, one per line (- for standard input; blank lines "
        "and lines starting with # are skipped)",
    )
    parser.add_argument(
        "--failed-out",
        metavar="PATH",
        help="write the uids that failed or did not finish there, one per line "
        "(feed the file back with --from-file)",
    )
    _add_format(parser, none=True)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``calbookings`` command."""
    common = _global_options()
    parser = argparse.ArgumentParser(
        prog="calbookings",
        description="Read and change Cal.com bookings (API v2) from the shell.",
        parents=[common],
        epilog="Credentials: set CAL_API_KEY (never passed as an option). "
        "Exit codes: 0 ok, 1 some item failed, 2 usage error, 130 interrupted. "
        "Start with: calbookings demo",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    listing = commands.add_parser(
        "list", parents=[common], help="list bookings (filters as options)"
    )
    listing.add_argument(
        "--status",
        type=_statuses,
        action="append",
        metavar="STATUS[,STATUS]",
        help="upcoming, recurring, past, cancelled or unconfirmed (repeat or comma-separate)",
    )
    listing.add_argument("--attendee-email", metavar="EMAIL")
    listing.add_argument("--attendee-name", metavar="NAME")
    listing.add_argument("--booking-uid", metavar="UID")
    listing.add_argument(
        "--event-type-id", type=_ids, action="append", metavar="ID[,ID]", dest="event_type_ids"
    )
    listing.add_argument(
        "--team-id", type=_ids, action="append", metavar="ID[,ID]", dest="team_ids"
    )
    for name in ("after-start", "before-end", "after-created", "before-created"):
        listing.add_argument(f"--{name}", type=parse_when, metavar="WHEN")
    listing.add_argument("--after-updated", type=parse_when, metavar="WHEN")
    listing.add_argument(
        "--before-updated",
        type=parse_when,
        metavar="WHEN",
        help=("dates are ISO 8601 (2025-03-07, 2025-03-07T10:00:00Z); without an offset, UTC"),
    )
    for name in ("start", "end", "created", "updated"):
        listing.add_argument(f"--sort-{name}", choices=["asc", "desc"])
    listing.add_argument(
        "--take",
        type=_positive_int,
        metavar="N",
        help="page size, 1-250 (default 100; 250 with --all)",
    )
    listing.add_argument("--skip", type=_non_negative_int, default=0, metavar="N")
    listing.add_argument("--all", action="store_true", help="walk every page, not just one")
    _add_format(listing)

    getting = commands.add_parser("get", parents=[common], help="print bookings by uid")
    getting.add_argument("uids", nargs="+", metavar="UID")
    _add_format(getting)

    decline = commands.add_parser(
        "decline",
        parents=[common],
        help="decline pending bookings",
        description=("Decline bookings that await the host's confirmation."),
    )
    _add_items(decline)
    decline.add_argument("--reason", help="why (shown to the attendee)")

    cancel = commands.add_parser("cancel", parents=[common], help="cancel bookings")
    _add_items(cancel)
    cancel.add_argument("--reason", help="why (shown to the attendee)")
    cancel.add_argument(
        "--cancel-subsequent",
        action="store_true",
        help="also cancel the later occurrences of a recurring booking",
    )

    confirm = commands.add_parser("confirm", parents=[common], help="confirm pending bookings")
    _add_items(confirm)

    absent = commands.add_parser(
        "mark-absent", parents=[common], help="record no-shows (host and/or attendees)"
    )
    _add_items(absent)
    host = absent.add_mutually_exclusive_group()
    host.add_argument(
        "--host-absent", dest="host", action="store_const", const=True, help="the host was absent"
    )
    host.add_argument(
        "--host-present", dest="host", action="store_const", const=False, help="the host came"
    )
    absent.add_argument(
        "--attendee-absent", action="append", default=[], metavar="EMAIL", help="(repeatable)"
    )
    absent.add_argument(
        "--attendee-present", action="append", default=[], metavar="EMAIL", help="(repeatable)"
    )

    reschedule = commands.add_parser(
        "reschedule",
        parents=[common],
        help="move bookings to a new start",
        description="Move bookings. Each line of --from-file may be 'UID START' to give every "
        "booking its own start; --start is the default. Not safe to repeat: a reschedule "
        "that failed with an unknown outcome is reported, never retried.",
    )
    _add_items(reschedule, "UID")
    reschedule.add_argument("--start", type=parse_when, metavar="WHEN", help="new start (ISO 8601)")
    reschedule.add_argument("--reason", help="why (shown to the attendee)")
    reschedule.add_argument("--rescheduled-by", metavar="EMAIL")

    commands.add_parser(
        "emulator",
        help="serve the built-in Cal.com emulator (options: calbookings emulator --help)",
        add_help=False,
    )
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="run a bulk job against an in-process emulator and print what happened",
        description="Start the emulator in-process with a scaled-down rate limit, seed it, "
        "and process every booking the way a service would (list, confirm, decline, mark "
        "no-shows, cancel) through the bulk runner; then print a summary. Needs no "
        "credentials and no network.",
    )
    demo.add_argument(
        "--bookings", type=_positive_int, default=3000, metavar="N", help="bookings to seed (3000)"
    )
    demo.add_argument(
        "--limit",
        type=_positive_int,
        default=100,
        metavar="L",
        help="the emulator's rate limit: L requests per window (100)",
    )
    demo.add_argument(
        "--window",
        type=_positive_float,
        default=1.0,
        metavar="SECONDS",
        help="the rate-limit window, and the block after it is passed (1.0)",
    )
    demo.add_argument(
        "--fault-rate",
        type=float,
        default=0.01,
        metavar="P",
        help="share of requests a 'proxy' answers with 503 before the server sees them (0.01)",
    )
    demo.add_argument("--seed", type=int, default=2, help="seed of the emulator's data (2)")
    return parser


def _defaults(args: argparse.Namespace) -> argparse.Namespace:
    if getattr(args, "base_url", None) is None:
        args.base_url = os.environ.get("CAL_BASE_URL") or DEFAULT_BASE_URL
    args.timeout = getattr(args, "timeout", None)
    args.concurrency_given = getattr(args, "concurrency", None) is not None
    args.concurrency = getattr(args, "concurrency", None) or DEFAULT_CONCURRENCY
    args.no_pacing = getattr(args, "no_pacing", False)
    args.quiet = getattr(args, "quiet", False)
    return args


# --- the client -----------------------------------------------------------------------------------


class Tally:
    """Counts the retries the client made, through ``RetryPolicy(on_retry=...)``."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.retries = 0
        self.throttled = 0
        self.throttled_at: list[float] = []
        self._clock = clock

    def __call__(self, attempt: RetryAttempt) -> None:
        self.retries += 1
        if isinstance(attempt.error, RateLimitError):
            self.throttled += 1
            if self._clock is not None:
                self.throttled_at.append(self._clock())


def pacing_supported() -> bool:
    """Whether this version of :class:`CalBookings` takes a ``pacing`` argument."""
    return "pacing" in inspect.signature(CalBookings).parameters


def make_client(
    args: argparse.Namespace,
    tally: Tally,
    *,
    retry: RetryPolicy | None = None,
    **credentials: Any,
) -> CalBookings:
    """A client from the global options; credentials from ``CAL_API_KEY`` unless given."""
    kwargs: dict[str, Any] = {
        "base_url": args.base_url,
        "retry": retry if retry is not None else RetryPolicy(on_retry=tally),
        "max_concurrency": max(100, args.concurrency),
        **credentials,
    }
    if args.timeout is not None:
        kwargs["timeout"] = Timeout(total=args.timeout)
    if args.no_pacing and pacing_supported():
        kwargs["pacing"] = False
    try:
        return CalBookings(**kwargs)
    except InvalidArgumentError as error:
        # The message names the argument and never contains the credential itself.
        raise UsageError(str(error)) from None


# --- reading items --------------------------------------------------------------------------------


def _usable(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            yield text


async def _usable_async(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    async for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            yield text


def _blocks(stream: IO[str]) -> bool:
    """Whether reading ``stream`` may wait on another process (a pipe or a terminal)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return False  # an in-memory stream
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


async def _lines_in_a_thread(stream: IO[str]) -> AsyncIterator[str]:
    """The lines of a pipe, read by a daemon thread so the event loop never waits on it."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    room = threading.Semaphore(1024)  # lines read ahead at most

    def put(line: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is reading
            loop.call_soon_threadsafe(queue.put_nowait, line)

    def read() -> None:
        try:
            for line in stream:
                room.acquire()
                put(line)
        finally:
            put(None)

    threading.Thread(target=read, name="calbookings-stdin", daemon=True).start()
    while True:
        line = await queue.get()
        if line is None:
            return
        room.release()
        yield line


@contextlib.contextmanager
def open_items(args: argparse.Namespace) -> Iterator[Iterable[str] | AsyncIterator[str]]:
    """The items of a write command: its uid arguments, or the lines of ``--from-file``."""
    if args.from_file is not None and args.uids:
        raise UsageError("give uids as arguments or with --from-file, not both")
    if args.from_file is None:
        if not args.uids:
            raise UsageError(f"{args.command}: give a uid, or --from-file PATH (- for stdin)")
        yield list(args.uids)
        return
    if args.from_file == "-":
        if _blocks(sys.stdin):
            yield _usable_async(_lines_in_a_thread(sys.stdin))
        else:
            yield _usable(sys.stdin)
        return
    yield _FileLines(args.from_file)


class _FileLines:
    """The usable lines of a file: counted first (a progress bar needs the total), then read
    lazily, one line per item started. A bulk run stopped early reads the rest into its
    unfinished items, so ``--failed-out`` gets them too."""

    def __init__(self, path: str) -> None:
        self._path = path
        try:
            with open(path, encoding="utf-8") as handle:
                self._count = sum(1 for _ in _usable(handle))
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"cannot read {path}: not UTF-8 text") from None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        with open(self._path, encoding="utf-8") as handle:
            yield from _usable(handle)


# --- the write commands ---------------------------------------------------------------------------


Operation = Callable[[str], Awaitable[Any]]


def write_operation(args: argparse.Namespace, cal: CalBookings) -> Operation:
    """The call a write command makes for one item (a uid, or 'UID START' for reschedule)."""
    bookings = cal.bookings
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
        attendees = [MarkAbsentAttendee(email=e, absent=True) for e in args.attendee_absent]
        attendees += [MarkAbsentAttendee(email=e, absent=False) for e in args.attendee_present]
        if args.host is None and not attendees:
            raise UsageError(
                "mark-absent: say who: --host-absent, --host-present, --attendee-absent EMAIL "
                "or --attendee-present EMAIL"
            )
        host = args.host
        return lambda uid: bookings.mark_absent(
            uid.split()[0], host=host, attendees=attendees or None
        )
    if command == "reschedule":
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
                raise InvalidArgumentError("start", "give --start, or a start after the uid")
            return await bookings.reschedule(
                parts[0], start=start, reason=reason, rescheduled_by=by
            )

        return reschedule
    raise AssertionError(command)


def _bookings_of(result: Any) -> list[Booking]:
    if isinstance(result, list):
        return [item for item in result if isinstance(item, Booking)]
    return list(result.occurrences or (result,)) if isinstance(result, Booking) else []


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, CalError) else f"{type(error).__name__}: {text}"


class _Bar:
    """The progress bar, or nothing; failure messages are written between its redraws."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.bar = ProgressBar(sys.stderr, label) if enabled else None

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.note(text)
        else:
            sys.stderr.write(text + "\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


async def run_writes(args: argparse.Namespace) -> int:
    """A write command over one or many uids."""
    tally = Tally()
    with open_items(args) as items:
        single = isinstance(items, list) and len(items) == 1
        async with make_client(args, tally) as cal:
            operation = write_operation(args, cal)
            failed_out = None if args.failed_out is None else _open_for_writing(args.failed_out)
            try:
                return await _run_writes(args, cal, items, operation, tally, single, failed_out)
            finally:
                if failed_out is not None:
                    failed_out.close()


def _open_for_writing(path: str) -> IO[str]:
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


async def _run_writes(
    args: argparse.Namespace,
    cal: CalBookings,
    items: Iterable[str] | AsyncIterator[str],
    operation: Operation,
    tally: Tally,
    single: bool,
    failed_out: IO[str] | None,
) -> int:
    table = args.format == "table"
    printing = args.format != "none"
    bar = _Bar(args.command, enabled=not single and not args.quiet)
    run = cal.bulk(
        items,
        operation,
        concurrency=args.concurrency,
        on_progress=bar.bar,
    )
    interrupted = False
    loop = asyncio.get_running_loop()
    cancelling: list[asyncio.Task[None]] = []

    def interrupt() -> None:
        # Ctrl+C: stop the run cleanly (calls in flight cancelled and awaited), then report.
        nonlocal interrupted
        interrupted = True
        cancelling.append(loop.create_task(run.cancel()))

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, interrupt)
    attempts = 0
    header = table
    failures_shown = 0
    uncertain = 0
    throttled_final = 0
    try:
        async with run:
            async for outcome in run:
                attempts += outcome.attempts
                if outcome.error is None:
                    if printing:
                        header = _print_result(outcome, table, header)
                    continue
                error = outcome.error
                if getattr(error, "may_have_been_applied", False):
                    uncertain += 1
                if isinstance(error, RateLimitError):
                    throttled_final += 1
                if failed_out is not None:
                    failed_out.write(outcome.item + "\n")
                    failed_out.flush()
                if single or failures_shown < SHOWN_FAILURES:
                    failures_shown += 1
                    bar.message(f"calbookings: {args.command} {outcome.item}: {_describe(error)}")
        if cancelling:
            await asyncio.gather(*cancelling)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGINT)
        bar.close()
    unfinished = run.unfinished
    if failed_out is not None:
        failed_out.writelines(item + "\n" for item in unfinished)
    failed = len(run.failed)
    if not single and not args.quiet:
        _summary(
            args,
            run.done,
            failed,
            len(unfinished),
            run.elapsed,
            attempts,
            tally,
            throttled_final,
            uncertain,
            shown=failures_shown,
        )
    if interrupted or run.cancelled:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if failed or unfinished else EXIT_OK


def _print_result(outcome: Outcome[str, Any], table: bool, header: bool) -> bool:
    bookings = _bookings_of(outcome.result)
    if bookings:
        write_bookings(sys.stdout, bookings, table, header=header)
        return False
    return header


def _summary(
    args: argparse.Namespace,
    done: int,
    failed: int,
    unfinished: int,
    elapsed: float,
    attempts: int,
    tally: Tally,
    throttled_final: int,
    uncertain: int,
    *,
    shown: int,
) -> None:
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [f"{done - failed} succeeded", f"{failed} failed"]
    if unfinished:
        parts.append(f"{unfinished} unfinished")
    lines = [
        f"{args.command}: {done} done in {elapsed:.1f} s ({rate:.1f}/s): " + ", ".join(parts),
        f"  HTTP attempts {attempts}; retries {tally.retries}; "
        f"429 responses {tally.throttled + throttled_final}",
    ]
    if failed > shown:
        lines.append(f"  {failed - shown} more failures not shown")
    if uncertain:
        lines.append(
            f"  {uncertain} failed item(s) may have been applied (no answer came back): "
            "read them back before repeating"
        )
    if args.failed_out is not None and (failed or unfinished):
        lines.append(f"  failed and unfinished uids written to {args.failed_out}")
    sys.stderr.write("\n".join(lines) + "\n")


# --- the read commands ----------------------------------------------------------------------------


async def run_list(args: argparse.Namespace) -> int:
    """``calbookings list``: one page, or every page with ``--all``."""
    table = args.format == "table"
    take = args.take if args.take is not None else (250 if args.all else None)
    async with make_client(args, Tally()) as cal:
        try:
            pager = cal.bookings.list(
                status=_flat(args.status),
                attendee_email=args.attendee_email,
                attendee_name=args.attendee_name,
                booking_uid=args.booking_uid,
                event_type_ids=_flat(args.event_type_ids),
                team_ids=_flat(args.team_ids),
                after_start=args.after_start,
                before_end=args.before_end,
                after_created_at=args.after_created,
                before_created_at=args.before_created,
                after_updated_at=args.after_updated,
                before_updated_at=args.before_updated,
                sort_start=_order(args.sort_start),
                sort_end=_order(args.sort_end),
                sort_created=_order(args.sort_created),
                sort_updated_at=_order(args.sort_updated),
                take=take,
                skip=args.skip,
                concurrency=_page_concurrency(args),
            )
        except InvalidArgumentError as error:
            raise UsageError(str(error)) from None
        if not args.all:
            page = await pager
            write_bookings(sys.stdout, page.items, table, header=True)
            if page.has_next_page and not args.quiet:
                sys.stderr.write(
                    f"{len(page.items)} of {page.pagination.total_items} bookings; "
                    f"--skip {page.next_skip} for the next page, --all for every one\n"
                )
            return EXIT_OK
        header = table
        count = 0
        async with contextlib.aclosing(pager.pages()) as pages:
            async for page in pages:
                count += write_bookings(sys.stdout, page.items, table, header=header)
                header = False
        if table and header:
            sys.stdout.write("(no bookings)\n")
        return EXIT_OK


def _page_concurrency(args: argparse.Namespace) -> int:
    # Pages fetched at once by --all: --concurrency when given, else 4 (against a server that
    # takes time per page, 4 walks about 3.4 times faster than 1; benchmarks/README.md).
    if not args.all:
        return 1
    return int(args.concurrency) if args.concurrency_given else DEFAULT_PAGE_CONCURRENCY


def _order(value: str | None) -> SortOrder | None:
    return None if value is None else SortOrder(value)


async def run_get(args: argparse.Namespace) -> int:
    """``calbookings get UID...``: print each booking (every occurrence for a series uid)."""
    table = args.format == "table"
    status = EXIT_OK
    header = table
    async with make_client(args, Tally()) as cal:
        for uid in args.uids:
            try:
                result = await cal.bookings.get(uid)
            except CalError as error:
                sys.stderr.write(f"calbookings: get {uid}: {_describe(error)}\n")
                status = EXIT_FAILED
                continue
            write_bookings(sys.stdout, _bookings_of(result), table, header=header)
            header = False
    return status


# --- entry point ----------------------------------------------------------------------------------


def _emulator(argv: Sequence[str]) -> int:
    from ..testing import main as emulator_main

    try:
        return emulator_main(list(argv), prog="calbookings emulator")
    except SystemExit as exit_:  # --help, or a usage error its parser already reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "list":
        return await run_list(args)
    if args.command == "get":
        return await run_get(args)
    if args.command == "demo":
        from ._demo import run_demo

        return await run_demo(args)
    return await run_writes(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``calbookings`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 ok, 1 an item failed, 2 usage or configuration error, 130
        interrupted.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        return _emulator(arguments[1:])
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(arguments)
    except SystemExit as exit_:  # --help, or a usage error argparse already reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command == "emulator":
        return _emulator(extra)
    if extra:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"calbookings: error: unrecognized arguments: {' '.join(extra)}\n")
        return EXIT_USAGE
    _defaults(args)
    try:
        return asyncio.run(_dispatch(args))
    except UsageError as error:
        sys.stderr.write(f"calbookings: error: {error}\n")
        return EXIT_USAGE
    except CalError as error:
        sys.stderr.write(f"calbookings: {args.command}: {_describe(error)}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("calbookings: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python from complaining
        # about stdout at exit.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK

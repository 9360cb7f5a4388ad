"""The ``calbookings`` command line's arguments: their types, the parser, and their defaults.

Options shared by every command may come before or after the command's name. Credentials are
never options: the key comes from ``CAL_API_KEY`` only.

Imports the public package and ``_config`` only.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from .. import BookingListStatus, __version__
from .._config import DEFAULT_BASE_URL

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_CONCURRENCY",
    "WRITE_COMMANDS",
    "build_parser",
    "fill_defaults",
    "flat",
    "parse_when",
]

DEFAULT_CONCURRENCY = 20
DEFAULT_PAGE_CONCURRENCY = 4

WRITE_COMMANDS = (
    "decline",
    "cancel",
    "confirm",
    "mark-absent",
    "reschedule",
    "request-reschedule",
    "add-attendee",
    "remove-attendee",
)

#: The shared options' values when not given (their parsers default to SUPPRESS, so an option
#: given before the command is not overwritten by the command's own parser).
_SHARED_DEFAULTS: dict[str, Any] = {
    "base_url": None,
    "timeout": None,
    "concurrency": None,
    "no_pacing": False,
    "pacing_file": None,
    "quiet": False,
    "verbose": 0,
}


# --- argument types -------------------------------------------------------------------------------


def _whole(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _non_negative_int(text: str) -> int:
    return _whole(text, 0)


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


def flat(groups: Sequence[Sequence[Any]] | None) -> list[Any] | None:
    """The values of a repeatable, comma-separated option, or ``None`` when not given."""
    return None if not groups else [value for group in groups for value in group]


# --- the parser -----------------------------------------------------------------------------------


def _shared_options() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    group = shared.add_argument_group("connection (the API key comes from CAL_API_KEY)")
    suppress: dict[str, Any] = {"default": argparse.SUPPRESS}
    group.add_argument(
        "--base-url",
        help=f"API base URL (default: $CAL_BASE_URL, else {DEFAULT_BASE_URL})",
        **suppress,
    )
    group.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="per-attempt timeout in seconds (default 30)",
        **suppress,
    )
    group.add_argument(
        "--concurrency",
        type=_positive_int,
        metavar="N",
        help=f"items in flight at once (default {DEFAULT_CONCURRENCY}); for list --all, pages "
        f"fetched at once (default {DEFAULT_PAGE_CONCURRENCY})",
        **suppress,
    )
    group.add_argument(
        "--no-pacing",
        action="store_true",
        help="do not hold requests back to stay inside the rate limits",
        **suppress,
    )
    group.add_argument(
        "--pacing-file",
        metavar="PATH",
        help="the file through which runs on this machine share the key's rate budget "
        "(default: pacing.sqlite3 in the user's cache directory, $XDG_CACHE_HOME/calbookings)",
        **suppress,
    )
    output = shared.add_argument_group("output")
    output.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar and no summary on standard error",
        **suppress,
    )
    output.add_argument(
        "-v",
        "--verbose",
        action="count",
        help="log retries and pacing waits on standard error (-vv: every response too)",
        **suppress,
    )
    return shared


def _add_format(parser: argparse.ArgumentParser, *, none: bool = False) -> None:
    choices = ["jsonl", "table", "none"] if none else ["jsonl", "table"]
    parser.add_argument(
        "--format",
        choices=choices,
        default="jsonl",
        help="bookings as JSON lines, snake_case (default), or a table"
        + ("; none prints nothing" if none else ""),
    )


def _add_list(commands: Any, shared: argparse.ArgumentParser) -> None:
    listing = commands.add_parser(
        "list", parents=[shared], help="list bookings (filters as options)"
    )
    listing.add_argument(
        "--status",
        type=_statuses,
        action="append",
        metavar="STATUS[,STATUS]",
        help="upcoming, recurring, past, cancelled or unconfirmed (repeat or comma-separate); "
        "unconfirmed leaves out pending bookings whose end has passed",
    )
    listing.add_argument("--attendee-email", metavar="EMAIL")
    listing.add_argument("--attendee-name", metavar="NAME")
    listing.add_argument("--booking-uid", metavar="UID")
    for option, dest in (("--event-type-id", "event_type_ids"), ("--team-id", "team_ids")):
        listing.add_argument(option, type=_ids, action="append", metavar="ID[,ID]", dest=dest)
    names = ("after-start", "before-end", "after-created", "before-created", "after-updated")
    for name in names:
        listing.add_argument(f"--{name}", type=parse_when, metavar="WHEN")
    listing.add_argument(
        "--before-updated",
        type=parse_when,
        metavar="WHEN",
        help="dates are ISO 8601 (2025-03-07, 2025-03-07T10:00:00Z); without an offset, UTC",
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

    getting = commands.add_parser("get", parents=[shared], help="print bookings by uid")
    getting.add_argument("uids", nargs="+", metavar="UID")
    _add_format(getting)

    attendees = commands.add_parser(
        "attendees", parents=[shared], help="print the attendees of bookings, with their ids"
    )
    attendees.add_argument("uids", nargs="+", metavar="UID")


def _write_command(
    commands: Any, shared: argparse.ArgumentParser, name: str, **texts: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, parents=[shared], **texts)
    parser.add_argument("uids", nargs="*", metavar="UID", help="booking uid(s)")
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
    parser.add_argument(
        "--journal",
        metavar="PATH",
        help="record each item's outcome in this SQLite file, so that running the command "
        "again after a crash or Ctrl+C skips the items done, settles those in flight and sends "
        "the rest (default: a file under $XDG_STATE_HOME/calbookings or "
        "~/.local/state/calbookings named after the command and its input)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="forget what the journal recorded and start over",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check every item and print the requests that would be sent, and how long the "
        "rate limit would make them take; send nothing",
    )
    _add_format(parser, none=True)
    return parser


def _add_writes(commands: Any, shared: argparse.ArgumentParser) -> None:
    reason = "why (shown to the attendee)"
    decline = _write_command(
        commands,
        shared,
        "decline",
        help="decline pending bookings",
        description="Decline bookings that await the host's confirmation.",
    )
    decline.add_argument("--reason", help=reason)

    cancel = _write_command(commands, shared, "cancel", help="cancel bookings")
    cancel.add_argument("--reason", help=reason)
    cancel.add_argument(
        "--cancel-subsequent",
        action="store_true",
        help="also cancel the later occurrences of a recurring booking",
    )

    _write_command(commands, shared, "confirm", help="confirm pending bookings")

    absent = _write_command(
        commands, shared, "mark-absent", help="record no-shows (host and/or attendees)"
    )
    host = absent.add_mutually_exclusive_group()
    for flag, value, text in (
        ("absent", True, "the host was absent"),
        ("present", False, "the host came"),
    ):
        host.add_argument(
            f"--host-{flag}", dest="host", action="store_const", const=value, help=text
        )
    for flag in ("absent", "present"):
        absent.add_argument(
            f"--attendee-{flag}", action="append", default=[], metavar="EMAIL", help="(repeatable)"
        )

    reschedule = _write_command(
        commands,
        shared,
        "reschedule",
        help="move bookings to a new start",
        description="Move bookings. Each line of --from-file may be 'UID START' to give every "
        "booking its own start; --start is the default. Not safe to repeat: a reschedule "
        "that failed with an unknown outcome is reported, never retried.",
    )
    reschedule.add_argument("--start", type=parse_when, metavar="WHEN", help="new start (ISO 8601)")
    reschedule.add_argument("--reason", help=reason)
    reschedule.add_argument("--rescheduled-by", metavar="EMAIL")
    _add_attendee_writes(commands, shared)


def _add_attendee_writes(commands: Any, shared: argparse.ArgumentParser) -> None:
    requesting = _write_command(
        commands,
        shared,
        "request-reschedule",
        help="cancel bookings and email the attendees a link to pick a new time",
        description="Cancel bookings (marked rescheduled) and email each attendee a link to "
        "book a new time. Safe to repeat: a repeat finds the booking cancelled.",
    )
    requesting.add_argument("--reason", help="why (shown to the attendee)")

    adding = _write_command(
        commands,
        shared,
        "add-attendee",
        help="add a person to bookings (5 a minute)",
        description="Add an attendee to bookings. Each line of --from-file may be "
        "'UID EMAIL TIME_ZONE NAME...' to give every booking its own person; the options are "
        "the default. Not safe to repeat: an add whose outcome is unknown is reported, never "
        "retried (a repeat may add the person twice). Seated bookings refuse it.",
    )
    adding.add_argument("--email", metavar="EMAIL")
    adding.add_argument("--name")
    adding.add_argument("--time-zone", metavar="TZ", help="IANA time zone (Europe/Riga)")
    adding.add_argument("--language", metavar="CODE", help="language of the emails (en, fr, ...)")

    removing = _write_command(
        commands,
        shared,
        "remove-attendee",
        help="remove attendees from bookings (5 a minute)",
        description="Remove attendees: each item is 'UID ATTENDEE_ID' (two arguments, or a line "
        "of --from-file); `calbookings attendees UID` lists the ids. The booker cannot be "
        "removed: cancel the booking instead.",
    )
    removing.add_argument(
        "--attendee-id", type=_positive_int, metavar="ID", help="the id for items without one"
    )


def _add_demo(commands: Any, shared: argparse.ArgumentParser) -> None:
    demo = commands.add_parser(
        "demo",
        parents=[shared],
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``calbookings`` command."""
    shared = _shared_options()
    parser = argparse.ArgumentParser(
        prog="calbookings",
        description="Read and change Cal.com bookings (API v2) from the shell.",
        parents=[shared],
        epilog="Credentials: set CAL_API_KEY (never passed as an option). "
        "Exit codes: 0 ok, 1 some item failed, 2 usage error, 130 interrupted. "
        "Start with: calbookings demo",
    )
    parser.add_argument("--version", action="version", version=f"calbookings {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_list(commands, shared)
    _add_writes(commands, shared)
    commands.add_parser(
        "emulator",
        help="serve the built-in Cal.com emulator (options: calbookings emulator --help)",
        add_help=False,
    )
    _add_demo(commands, shared)
    return parser


def _pairs(words: list[str]) -> list[str]:
    """``UID ID UID ID`` on the command line as items ``UID ID`` (a lone uid stays alone)."""
    items: list[str] = []
    for word in words:
        if items and word.isdigit() and " " not in items[-1]:
            items[-1] += " " + word
        else:
            items.append(word)
    return items


def fill_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Give the shared options not on the command line their defaults (``CAL_BASE_URL`` for
    the base URL)."""
    values = vars(args)
    for name, value in _SHARED_DEFAULTS.items():
        values.setdefault(name, value)
    if args.base_url is None:
        args.base_url = os.environ.get("CAL_BASE_URL") or DEFAULT_BASE_URL
    if args.command == "remove-attendee":
        args.uids = _pairs(args.uids)
    args.concurrency_given = args.concurrency is not None
    if args.concurrency is None:
        args.concurrency = DEFAULT_CONCURRENCY
    return args

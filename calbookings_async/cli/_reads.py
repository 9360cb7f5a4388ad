"""The read commands: ``calbookings list`` (one page, or every page with ``--all``) and
``calbookings get UID...``.

Bookings go to standard output as JSON lines or a table; hints (the next page, an empty
listing) go to standard error.

Imports the public package and the command line's modules.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from .. import CalError, InvalidArgumentError, SortOrder
from ._args import DEFAULT_PAGE_CONCURRENCY, flat
from ._common import EXIT_FAILED, EXIT_OK, Tally, UsageError, describe, open_client
from ._output import write_attendees, write_bookings
from ._writes import bookings_of

__all__ = ["NO_BOOKINGS", "run_get", "run_list"]

#: What an empty listing says on standard error.
NO_BOOKINGS = "calbookings: list: no bookings match"


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "status": flat(args.status),
        "attendee_email": args.attendee_email,
        "attendee_name": args.attendee_name,
        "booking_uid": args.booking_uid,
        "event_type_ids": flat(args.event_type_ids),
        "team_ids": flat(args.team_ids),
        "after_start": args.after_start,
        "before_end": args.before_end,
        "after_created_at": args.after_created,
        "before_created_at": args.before_created,
        "after_updated_at": args.after_updated,
        "before_updated_at": args.before_updated,
        "sort_start": _order(args.sort_start),
        "sort_end": _order(args.sort_end),
        "sort_created": _order(args.sort_created),
        "sort_updated_at": _order(args.sort_updated),
    }


def _order(value: str | None) -> SortOrder | None:
    return None if value is None else SortOrder(value)


def _page_concurrency(args: argparse.Namespace) -> int:
    # Pages fetched at once by --all: --concurrency when given, else 4 (against a server that
    # takes time per page, 4 walks about 3.4 times faster than 1; benchmarks/README.md).
    if not args.all:
        return 1
    return int(args.concurrency) if args.concurrency_given else DEFAULT_PAGE_CONCURRENCY


async def run_list(args: argparse.Namespace) -> int:
    """``calbookings list``: one page, or every page with ``--all``."""
    table = args.format == "table"
    take = args.take if args.take is not None else (250 if args.all else None)
    async with open_client(args, Tally()) as cal:
        try:
            pager = cal.bookings.list(
                **_filters(args), take=take, skip=args.skip, concurrency=_page_concurrency(args)
            )
        except InvalidArgumentError as error:
            raise UsageError(describe(error)) from None
        count = 0
        if not args.all:
            page = await pager
            count = write_bookings(sys.stdout, page.items, table, header=True)
            if page.has_next_page and not args.quiet:
                sys.stderr.write(
                    f"{len(page.items)} of {page.pagination.total_items} bookings; "
                    f"--skip {page.next_skip} for the next page, --all for every one\n"
                )
        else:
            async with contextlib.aclosing(pager.pages()) as pages:
                async for page in pages:
                    count += write_bookings(
                        sys.stdout, page.items, table, header=table and not count
                    )
    if not count and not args.quiet:
        sys.stderr.write(NO_BOOKINGS + "\n")
    return EXIT_OK


async def run_get(args: argparse.Namespace) -> int:
    """``calbookings get UID...``: print each booking (every occurrence for a series uid)."""
    table = args.format == "table"
    status = EXIT_OK
    header = table
    async with open_client(args, Tally()) as cal:
        for uid in args.uids:
            try:
                result = await cal.bookings.get(uid)
            except CalError as error:
                sys.stderr.write(f"calbookings: get {uid}: {describe(error)}\n")
                status = EXIT_FAILED
                continue
            write_bookings(sys.stdout, bookings_of(result), table, header=header)
            header = False
    return status


async def run_attendees(args: argparse.Namespace) -> int:
    """``calbookings attendees UID...``: each booking's attendees (the booker first), with
    their ids, as JSON lines."""
    status = EXIT_OK
    async with open_client(args, Tally()) as cal:
        for uid in args.uids:
            try:
                attendees = await cal.bookings.attendees(uid)
            except CalError as error:
                sys.stderr.write(f"calbookings: attendees {uid}: {describe(error)}\n")
                status = EXIT_FAILED
                continue
            write_attendees(sys.stdout, uid, attendees)
    return status

"""The ``calbookings`` command line's entry point: parse, run the command, turn errors into exit
codes.

Every command builds one :class:`CalBookings` from ``CAL_API_KEY`` (the key is never an option,
so it never lands in shell history, and it is never printed) and ``--base-url`` (default
``CAL_BASE_URL``, else https://api.cal.com). Reads print bookings to standard output as JSON
lines (snake_case) or a table. Write commands take uids as arguments or from ``--from-file``
(``-``: standard input), one per line, read lazily; they run through the bulk runner with
progress and a summary on standard error, print each changed booking to standard output, and
write the uids that failed (or were cut off by Ctrl+C) to ``--failed-out`` so the same command
can take them again; ``--dry-run`` checks them and sends nothing. ``-v`` logs retries and
pacing waits, ``-vv`` every response.

Exit codes: 0 everything succeeded; 1 an item or the call failed; 2 a usage or configuration
error; 130 interrupted.

Imports the public package and the command line's modules.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence

from .. import CalError
from ._args import build_parser, fill_defaults
from ._common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    describe,
    logging_to_stderr,
)
from ._reads import run_attendees, run_get, run_list
from ._writes import run_writes

__all__ = ["main"]


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
    if args.command == "attendees":
        return await run_attendees(args)
    if args.command == "demo":
        from ._demo import run_demo

        return await run_demo(args)
    return await run_writes(args)


def _parse(arguments: list[str]) -> argparse.Namespace | int:
    """The parsed command line, or the exit code when there is nothing more to do."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(arguments)
    except SystemExit as exit_:  # --help, --version, or a usage error argparse reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command == "emulator":
        return _emulator(extra)
    if extra:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"calbookings: error: unrecognized arguments: {' '.join(extra)}\n")
        return EXIT_USAGE
    return fill_defaults(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``calbookings`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 ok, 1 an item failed, 2 usage or configuration error, 130
        interrupted.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        return _emulator(arguments[1:])
    args = _parse(arguments)
    if isinstance(args, int):
        return args
    try:
        with logging_to_stderr(args.verbose):
            return asyncio.run(_dispatch(args))
    except UsageError as error:
        sys.stderr.write(f"calbookings: error: {error}\n")
        return EXIT_USAGE
    except CalError as error:
        sys.stderr.write(f"calbookings: {args.command}: {describe(error)}\n")
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

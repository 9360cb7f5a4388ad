"""What every ``calbookings`` command shares: exit codes, the client, the retry tally, the words
of error messages, and the ``-v`` log output.

Messages speak the command line's language: an argument the library names (``api_key``,
``take``) is shown as the option or environment variable a shell user sets (``CAL_API_KEY``,
``--take``).

Imports the public package and ``_config`` only.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from .. import (
    CalBookings,
    CalError,
    FilePacer,
    InvalidArgumentError,
    RateLimitError,
    RetryAttempt,
    RetryPolicy,
    Timeout,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Tally",
    "UsageError",
    "describe",
    "logging_to_stderr",
    "make_client",
    "open_client",
    "option_name",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: The message when ``CAL_API_KEY`` is missing or empty.
NO_KEY = (
    "no API key: set CAL_API_KEY to your Cal.com API key (export CAL_API_KEY=cal_live_...); "
    "calbookings never takes the key as an option, so it stays out of shell history"
)

#: Library argument -> what the shell user sets instead; others become ``--the-name``.
_OPTIONS = {
    "api_key": "CAL_API_KEY",
    "base_url": "--base-url (or CAL_BASE_URL)",
    "booking_uid": "UID",
    "max_concurrency": "--concurrency",
    "event_type_ids": "--event-type-id",
    "team_ids": "--team-id",
    "after_created_at": "--after-created",
    "before_created_at": "--before-created",
    "after_updated_at": "--after-updated",
    "before_updated_at": "--before-updated",
    "sort_updated_at": "--sort-updated",
    "attendees": "--attendee-absent/--attendee-present",
    "host": "--host-absent/--host-present",
    "start": "START",  # the start after the uid on a reschedule line, else --start
}
_NAME = re.compile(r"[A-Za-z_]+")


class UsageError(Exception):
    """A bad command line or configuration: reported on standard error, exit code 2."""


def option_name(argument: str) -> str:
    """The option or environment variable that sets the library's ``argument``."""
    match = _NAME.match(argument)
    name = match.group(0) if match else argument
    return _OPTIONS.get(name, "--" + name.replace("_", "-"))


def describe(error: BaseException) -> str:
    """An error as one line for the shell user (options, not Python keywords)."""
    if isinstance(error, InvalidArgumentError):
        return f"{option_name(error.argument)}: {error.problem}"
    text = str(error) or type(error).__name__
    return text if isinstance(error, CalError) else f"{type(error).__name__}: {text}"


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


def make_client(
    args: argparse.Namespace,
    tally: Tally,
    *,
    retry: RetryPolicy | None = None,
    pacing: Any = None,
    **credentials: Any,
) -> CalBookings:
    """A client from the global options; the key from ``CAL_API_KEY`` unless given.

    Raises:
        UsageError: No key, or a malformed key, URL or option (the message names the
            environment variable or option, never the key itself).
    """
    if not credentials and not os.environ.get("CAL_API_KEY", "").strip():
        raise UsageError(NO_KEY)
    options: dict[str, Any] = {
        "base_url": args.base_url,
        "retry": retry if retry is not None else RetryPolicy(on_retry=tally),
        "max_concurrency": max(100, args.concurrency),
        "timeout": Timeout() if args.timeout is None else Timeout(total=args.timeout),
        "pacing": pacing if pacing is not None else not args.no_pacing,
        **credentials,
    }
    try:
        return CalBookings(**options)
    except InvalidArgumentError as error:
        # The message names the argument and never contains the credential itself.
        raise UsageError(describe(error)) from None


@asynccontextmanager
async def open_client(args: argparse.Namespace, tally: Tally) -> AsyncIterator[CalBookings]:
    """The client of a command that talks to Cal.com, paced through the machine's shared budget.

    Unless ``--no-pacing``, the client paces with a :class:`FilePacer` (``--pacing-file``, or
    the user's cache directory), so that runs one after another and side by side share the API
    key's budget instead of each tripping the other's block. The pacer is closed after the
    client.
    """
    pacer = None
    if not args.no_pacing:
        try:
            pacer = FilePacer(args.pacing_file)
        except InvalidArgumentError as error:
            raise UsageError(f"--pacing-file: {describe(error)}") from None
    try:
        async with make_client(args, tally, pacing=pacer) as cal:
            yield cal
    finally:
        if pacer is not None:
            await pacer.aclose()


class _StderrHandler(logging.Handler):
    """Writes records to the standard error of the moment (a live progress bar redirects it,
    so log lines appear above the bar)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


@contextmanager
def logging_to_stderr(verbosity: int) -> Iterator[None]:
    """``-v``: the library's INFO records (retries, pacing waits) on standard error; ``-vv``:
    DEBUG too (one line per response). Restores the logger afterwards."""
    if verbosity <= 0:
        yield
        return
    logger = logging.getLogger("calbookings_async")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("calbookings: %(levelname)s %(message)s"))
    previous = logger.level
    logger.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)

"""The emulator's command line: serve a seeded Cal.com emulator until interrupted.

``python -m calbookings_async.testing --port 8787 --seed 1000`` (or ``calbookings emulator``)
starts a standalone server and prints a banner: its base URL and API key, the rate limits and
blocks in force, the seeded organization and team ids, and ``export CAL_API_KEY=...
CAL_BASE_URL=...`` lines to paste into a shell. ``--log-requests`` prints one line per request
(method, path, status, remaining budget). It runs until SIGINT or SIGTERM. :func:`main` is the
entry point the package's ``calbookings emulator`` command calls, with its own ``prog``. Nothing
here imports the rest of ``calbookings_async`` beyond the testing package.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import shlex
import signal
import sys
from collections.abc import Sequence

from ._ratelimit import RateLimit
from ._routes import named_route_limits
from ._server import API_VERSION, DEFAULT_API_KEY, CalEmulator, RequestRecord

__all__ = ["DEFAULT_PROG", "banner", "build_parser", "main", "serve"]

#: The command name ``--help`` shows when none is given.
DEFAULT_PROG = "python -m calbookings_async.testing"


def build_parser(prog: str = DEFAULT_PROG) -> argparse.ArgumentParser:
    """The argument parser of the emulator command.

    Args:
        prog: The command as the user invoked it (``calbookings emulator`` from the CLI).
    """
    parser = argparse.ArgumentParser(
        prog=prog, description="Serve an in-memory Cal.com API v2 bookings emulator."
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    add("--port", type=int, default=8787, help="port to bind; 0 picks a free one (8787)")
    add("--seed", type=int, default=0, metavar="N", help="seed N bookings of every kind (0)")
    add("--users", type=int, default=None, help="hosts to seed (scales with N)")
    add("--random-seed", type=int, default=0, help="seed of every random choice (0)")
    add("--api-key", default=DEFAULT_API_KEY, help="the API key to accept")
    add("--rate-limit", type=int, default=120, help="requests per window per API key (120)")
    add("--rate-window", type=float, default=60.0, help="rate-limit window in seconds (60)")
    add("--rate-block", type=float, default=60.0, help="block after exceeding, in seconds (60)")
    add("--route-limit", type=int, default=5, help="requests per window of each named route "
        "limit: add guests, update location, add and remove attendee (5)")  # fmt: skip
    add("--route-window", type=float, default=60.0, help="named route limits' window, s (60)")
    add("--route-block", type=float, default=60.0, help="named route limits' block, s (60)")
    add("--no-rate-limit", action="store_true", help="turn throttling off entirely")
    add("--no-oddities", action="store_true", help="seed without the live server's null fields")
    add("--log-requests", action="store_true", help="print one line per request")
    return parser


def _seconds(value: float) -> str:
    return f"{value:g} s"


def banner(emulator: CalEmulator) -> str:
    """What the standalone emulator prints once it listens (the emulator must be started)."""
    key, url = emulator.api_key, emulator.base_url
    limit = emulator.rate_limit
    if limit is None:
        limits = "Rate limits: off (--no-rate-limit)."
    else:
        named = sorted({r.name for r in emulator.route_limits.values()})
        route = next(iter(emulator.route_limits.values()), None)
        limits = (
            f"Rate limit: {limit.limit} requests per {_seconds(limit.ttl)} per API key, then a "
            f"{_seconds(limit.block)} block."
        )
        if route is not None:
            limits += (
                f"\nRoute limits ({', '.join(named)}): {route.limit} requests per "
                f"{_seconds(route.ttl)} each, then a {_seconds(route.block)} block."
            )
    teams = ", ".join(str(t) for t in emulator.team_ids) or "none (seed with --seed N)"
    return (
        f"Cal.com emulator listening on {url}\n"
        f"API key: {key}\n"
        f"{limits}\n"
        f"Organization id: {emulator.org_id}; team ids: {teams}; "
        f"{len(emulator.bookings)} bookings seeded.\n"
        "Use it from a shell or the SDK (CalBookings() reads both variables):\n"
        f"  export CAL_API_KEY={shlex.quote(key)} CAL_BASE_URL={shlex.quote(url)}\n"
        f"Raw HTTP: send 'Authorization: Bearer {key}' and 'cal-api-version: {API_VERSION}'.\n"
        "Press Ctrl+C to stop.\n"
    )


def _print_record(record: RequestRecord) -> None:
    sys.stdout.write(record.line() + "\n")
    sys.stdout.flush()


def _emulator(args: argparse.Namespace) -> CalEmulator:
    limit = None
    if not args.no_rate_limit:
        limit = RateLimit(limit=args.rate_limit, ttl=args.rate_window, block=args.rate_block)
    emulator = CalEmulator(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        rate_limit=limit,
        route_limits=named_route_limits(args.route_limit, args.route_window, args.route_block),
        seed=args.random_seed,
        on_request=_print_record if args.log_requests else None,
    )
    if args.seed:
        emulator.seed(args.seed, users=args.users, oddities=not args.no_oddities)
    return emulator


async def serve(args: argparse.Namespace, stop: asyncio.Event | None = None) -> int:
    """Run the emulator described by parsed arguments until ``stop`` is set or a signal arrives."""
    emulator = _emulator(args)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        async with emulator:
            sys.stdout.write(banner(emulator))
            sys.stdout.flush()
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
    return 0


def main(argv: Sequence[str] | None = None, *, prog: str = DEFAULT_PROG) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), serve until interrupted, return the exit code.

    Args:
        argv: The arguments after the command name.
        prog: The command as invoked, shown by ``--help`` and in errors.

    Returns:
        0 after an interrupt; 1 when the server cannot start (a port in use says so).
    """
    args = build_parser(prog).parse_args(list(argv) if argv is not None else None)
    try:
        return asyncio.run(serve(args))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            sys.stderr.write(
                f"{prog}: cannot start the emulator: port {args.port} on {args.host} is already "
                "in use; pass --port 0 to pick a free port\n"
            )
        else:
            sys.stderr.write(f"{prog}: cannot start the emulator: {exc}\n")
        return 1

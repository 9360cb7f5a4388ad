"""The emulator's command line: serve a seeded Cal.com emulator until interrupted.

``python -m calbookings_async.testing --port 8787 --seed 1000`` starts a standalone server, prints
its base URL and an API key, and runs until SIGINT or SIGTERM. :func:`main` is the entry point the
package's ``calbookings emulator`` command can call. Nothing here imports the rest of
``calbookings_async`` beyond the testing package.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from ._ratelimit import RateLimit
from ._server import API_VERSION, DEFAULT_API_KEY, CalEmulator

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the emulator command."""
    parser = argparse.ArgumentParser(
        prog="python -m calbookings_async.testing",
        description="Serve an in-memory Cal.com API v2 bookings emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port to bind; 0 picks one (8787)")
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed N bookings of every kind (0)"
    )
    parser.add_argument("--users", type=int, default=None, help="hosts to seed (scales with N)")
    parser.add_argument(
        "--random-seed", type=int, default=0, help="seed of every random choice (0)"
    )
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the API key to accept")
    parser.add_argument(
        "--rate-limit", type=int, default=120, help="requests per window per API key (120)"
    )
    parser.add_argument(
        "--rate-window", type=float, default=60.0, help="rate-limit window in seconds (60)"
    )
    parser.add_argument(
        "--rate-block", type=float, default=60.0, help="block after exceeding, in seconds (60)"
    )
    parser.add_argument("--no-rate-limit", action="store_true", help="turn throttling off entirely")
    parser.add_argument(
        "--no-oddities", action="store_true", help="seed without the live server's null fields"
    )
    return parser


async def serve(args: argparse.Namespace, stop: asyncio.Event | None = None) -> int:
    """Run the emulator described by parsed arguments until ``stop`` is set or a signal arrives."""
    limit = (
        None
        if args.no_rate_limit
        else RateLimit(limit=args.rate_limit, ttl=args.rate_window, block=args.rate_block)
    )
    emulator = CalEmulator(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        rate_limit=limit,
        seed=args.random_seed,
    )
    if args.seed:
        emulator.seed(args.seed, users=args.users, oddities=not args.no_oddities)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with emulator:
        sys.stdout.write(
            f"Cal.com emulator listening on {emulator.base_url}\n"
            f"API key: {emulator.api_key}\n"
            f"Send 'Authorization: Bearer {emulator.api_key}' and "
            f"'cal-api-version: {API_VERSION}'. {len(emulator.bookings)} bookings seeded.\n"
            "Press Ctrl+C to stop.\n"
        )
        sys.stdout.flush()
        await stop.wait()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signum)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), serve until interrupted, return the exit code."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    try:
        return asyncio.run(serve(args))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        sys.stderr.write(f"cannot start the emulator: {exc}\n")
        return 1

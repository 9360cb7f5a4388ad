"""``--dry-run``: a write command that checks every item and sends nothing.

Each item goes through the same call a real run makes, on a :class:`Bookings` whose requester
records the request instead of sending it. So every argument is checked exactly as a real run
checks it, and what is printed is exactly what would be sent. The summary says how many
requests that is and how long the rate limit would make them take: requests beyond one
window's budget wait for the following windows (Cal.com: 120 per 60 s for an API key; named
throttles such as 5 add-guests per 60 s replace it on their route).

Imports the public package, ``_types``, ``_common``, ``_progress`` and ``_output``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import IO, Any, TypeVar
from urllib.parse import urlencode

import attrs
import orjson

from .. import Bookings, CalError
from .._types import JSONObject, Operation, Query, RouteLimit
from ._common import EXIT_FAILED, EXIT_OK, describe
from ._progress import duration

__all__ = ["API_KEY_BUDGET", "PlannedRequest", "dry_run", "rate_limit_time"]

T = TypeVar("T")

#: Cal.com's budget for an API key (docs/API-NOTES.md §8), the one the command line uses.
API_KEY_BUDGET = RouteLimit(name="default", limit=120, window=60.0)


@attrs.frozen(kw_only=True)
class PlannedRequest:
    """A request a write would send.

    Attributes:
        operation: What it calls (its method, path template and route limits).
        path: The path with the item's uid filled in.
        query: Its query parameters, if any.
        body: Its JSON body, if any.
    """

    operation: Operation
    path: str
    query: Query | None
    body: Mapping[str, Any] | None


class _Planned(Exception):
    def __init__(self, request: PlannedRequest) -> None:
        super().__init__(request.path)
        self.request = request


class _Recorder:
    """A requester that records the request and sends nothing."""

    async def request(
        self,
        operation: Operation,
        path: str,
        *,
        query: Query | None = None,
        body: Mapping[str, Any] | None = None,
        decode: Callable[[JSONObject], T],
    ) -> T:
        raise _Planned(PlannedRequest(operation=operation, path=path, query=query, body=body))


async def _each(items: Iterable[str] | AsyncIterator[str]) -> AsyncIterator[str]:
    if isinstance(items, AsyncIterator):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


def rate_limit_time(requests: Counter[Operation]) -> tuple[float, RouteLimit, int]:
    """How long the rate limit makes ``requests`` take, starting with a fresh window.

    Returns:
        The seconds spent waiting for later windows, the limit that takes longest, and how
        many of the requests that limit counts.
    """
    counted: Counter[RouteLimit] = Counter()
    for operation, count in requests.items():
        for limit in operation.limits or (API_KEY_BUDGET,):
            counted[limit] += count
    if not counted:
        return 0.0, API_KEY_BUDGET, 0

    def waited(limit: RouteLimit) -> float:
        return (math.ceil(counted[limit] / limit.limit) - 1) * limit.window

    longest = max(counted, key=waited)
    return waited(longest), longest, counted[longest]


def _show(out: IO[str], item: str, planned: PlannedRequest, url: str, form: str) -> None:
    target = url + planned.path
    if planned.query:
        target += "?" + urlencode(list(planned.query))
    method = planned.operation.method
    if form == "jsonl":
        line = {"item": item, "method": method, "url": target, "body": planned.body}
        out.write(orjson.dumps(line).decode() + "\n")
    elif form == "table":
        body = "" if planned.body is None else " " + orjson.dumps(planned.body).decode()
        out.write(f"{method} {target}{body}\n")


async def dry_run(
    args: argparse.Namespace,
    items: Iterable[str] | AsyncIterator[str],
    operation_for: Callable[[Bookings], Callable[[str], Awaitable[Any]]],
    failed_out: IO[str] | None,
) -> int:
    """Check every item and print what would be sent; send nothing.

    Args:
        args: The parsed command line (``command``, ``format``, ``base_url``, ``quiet``).
        items: The command's items.
        operation_for: Builds the call a real run makes for one item, on given bookings.
        failed_out: Where the invalid items go, one per line, if anywhere.

    Returns:
        0 when every item is valid, else 1.
    """
    call = operation_for(Bookings(_Recorder()))
    requests: Counter[Operation] = Counter()
    invalid = 0
    async for item in _each(items):
        try:
            await call(item)
        except _Planned as planned:
            requests[planned.request.operation] += 1
            _show(sys.stdout, item, planned.request, args.base_url, args.format)
            continue
        except CalError as error:
            invalid += 1
            sys.stderr.write(f"calbookings: {args.command} {item}: {describe(error)}\n")
            if failed_out is not None:
                failed_out.write(item + "\n")
    if not args.quiet:
        sys.stderr.write(_summary(args.command, requests, invalid))
    return EXIT_FAILED if invalid else EXIT_OK


def _summary(command: str, requests: Counter[Operation], invalid: int) -> str:
    count = sum(requests.values())
    first = f"{command}: dry run: {count} request(s) would be sent; nothing was sent"
    if invalid:
        first += f"; {invalid} item(s) invalid"
    waited, limit, counted = rate_limit_time(requests)
    budget = f"{limit.limit} requests per {limit.window:g} s"
    budget += " for an API key" if limit == API_KEY_BUDGET else f" on {limit.name}"
    if waited > 0:
        windows = math.ceil(counted / limit.limit)
        second = (
            f"  at {budget}, the rate limit would make them take about {duration(waited)} "
            f"({windows} windows)"
        )
    else:
        second = f"  within one window of the rate limit ({budget}): no wait"
    return first + "\n" + second + "\n"

"""Makes aioresponses 0.7.x work with aiohttp >= 3.12.

aioresponses builds ``aiohttp.ClientResponse`` objects itself, without the keyword-only
``stream_writer`` argument that newer aiohttp requires; every mocked call then fails with
``TypeError: ... missing 1 required keyword-only argument: 'stream_writer'``. aioresponses takes
its default response class from a module global, so swapping in a subclass that supplies an
idle writer fixes every mock at once. Nothing changes when the installed aiohttp does not need
the argument.
"""

from __future__ import annotations

import inspect
from typing import Any

import aiohttp
import aioresponses.core


class _IdleStreamWriter:
    """Stands in for the writer of a request that was never really sent."""

    output_size = 0


class CompatClientResponse(aiohttp.ClientResponse):
    """A ``ClientResponse`` that aioresponses can build without a stream writer."""

    def __init__(self, *args: Any, stream_writer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, stream_writer=stream_writer or _IdleStreamWriter(), **kwargs)


def install() -> None:
    """Point aioresponses at :class:`CompatClientResponse` if this aiohttp needs it."""
    parameters = inspect.signature(aiohttp.ClientResponse.__init__).parameters
    if "stream_writer" in parameters:
        aioresponses.core.ClientResponse = CompatClientResponse  # type: ignore[misc]

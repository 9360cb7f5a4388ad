"""Where a write command's items come from: its uid arguments, a file, or standard input.

A file is counted first (a progress bar needs the total), then read lazily, one line per item
started. Standard input from a pipe or a terminal is read by a thread, so the event loop never
waits on it. Blank lines and lines starting with ``#`` are skipped.

Imports ``_common`` only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import stat
import sys
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import IO

from ._common import UsageError

__all__ = ["input_digest", "open_items"]


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
    """The usable lines of a file: counted (a progress bar needs the total) and hashed (the
    default journal is named after the input) first, then read lazily, one line per item
    started. A bulk run stopped early reads the rest into its
    unfinished items, so ``--failed-out`` gets them too."""

    def __init__(self, path: str) -> None:
        self._path = path
        digest = hashlib.sha256()
        try:
            with open(path, encoding="utf-8") as handle:
                self._count = 0
                for line in _usable(handle):
                    self._count += 1
                    digest.update(line.encode() + b"\n")
            self.digest = digest.hexdigest()
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"cannot read {path}: not UTF-8 text") from None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        with open(self._path, encoding="utf-8") as handle:
            yield from _usable(handle)


def input_digest(items: Iterable[str] | AsyncIterator[str]) -> str | None:
    """A SHA-256 of the items (hex), or ``None`` for standard input (it cannot be read twice,
    so a run from a pipe is not matched to an earlier one)."""
    if isinstance(items, _FileLines):
        return items.digest
    if isinstance(items, list):
        digest = hashlib.sha256()
        for item in items:
            digest.update(item.encode() + b"\n")
        return digest.hexdigest()
    return None

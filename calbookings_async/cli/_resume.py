"""Where a write command keeps its journal, so that running it again resumes it.

By default every write command over uid arguments or ``--from-file PATH`` records its items in a
SQLite journal under the user's state directory (``$XDG_STATE_HOME/calbookings``, else
``~/.local/state/calbookings``), in a file named after the command and a hash of everything that
shapes its requests: the base URL, the command's options and the items. Running the same
command on the same input again (after a crash, a ``kill -9`` or Ctrl+C) finds the same file:
the items done are skipped, the items in flight when it stopped are settled by reading the
server's state back, and the rest are sent. ``--journal PATH`` names the file instead;
``--fresh`` forgets what it recorded and starts over. Items from standard input have no default
journal (a pipe cannot be read twice, so its input cannot be recognised): give ``--journal``.

Imports ``_common`` only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

from ._common import UsageError

__all__ = ["forget", "journal_path", "state_dir"]

#: The options of a write command that change what its requests say (a different value is a
#: different run, with a journal of its own).
REQUEST_OPTIONS = (
    "reason",
    "cancel_subsequent",
    "host",
    "attendee_absent",
    "attendee_present",
    "start",
    "rescheduled_by",
)

#: The files SQLite keeps beside a database in WAL mode.
SIDE_FILES = ("", "-wal", "-shm", "-journal")


def state_dir() -> Path:
    """``$XDG_STATE_HOME/calbookings`` when that is set to an absolute path, else
    ``~/.local/state/calbookings`` (the XDG base directory rules)."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "calbookings"


def journal_path(args: argparse.Namespace, digest: str | None) -> Path | None:
    """The journal of this run: ``--journal``, else the default one for this command and
    input (``None`` when the input has no digest: standard input)."""
    if args.journal is not None:
        return Path(args.journal)
    if digest is None:
        return None
    shape = {name: _plain(getattr(args, name, None)) for name in REQUEST_OPTIONS}
    text = json.dumps(
        {"base_url": args.base_url, "options": shape, "items": digest}, sort_keys=True
    )
    name = hashlib.sha256(text.encode()).hexdigest()[:16]
    return state_dir() / f"{args.command}-{name}.sqlite3"


def forget(path: Path) -> None:
    """``--fresh``: remove the journal file (and SQLite's files beside it).

    Raises:
        UsageError: A file exists but cannot be removed (the message names it).
    """
    for suffix in SIDE_FILES:
        target = Path(str(path) + suffix)
        try:
            target.unlink(missing_ok=True)
        except OSError as error:
            raise UsageError(f"--fresh: cannot remove {target}: {error.strerror}") from None


def prepare(path: Path) -> None:
    """Create the directory of a default journal (private to the user).

    Raises:
        UsageError: The directory cannot be created (the message names it).
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create {path.parent}: {error.strerror}") from None


def _plain(value: object) -> object:
    """An option's value as JSON can hold it (dates as ISO 8601 text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(part) for part in value]
    return str(value)

"""The ``calbookings`` command: list, read and change bookings from the shell, and the demo.

``calbookings list``, ``get``, ``decline``, ``cancel``, ``confirm``, ``mark-absent`` and
``reschedule`` call the Cal.com API with the key in ``CAL_API_KEY``; write commands take one uid,
several, or a file of them (``--from-file PATH``, ``-`` for standard input) and then run through
the bulk runner with progress on standard error (``--dry-run`` checks them and sends nothing).
``calbookings emulator`` serves the built-in emulator and ``calbookings demo`` runs a whole bulk
job against one in-process.

The modules, by job: ``_main`` (entry point and exit codes), ``_args`` (the parser),
``_common`` (the client, messages, logging), ``_items`` (where items come from), ``_reads`` and
``_writes`` (the commands), ``_dryrun``, ``_progress``, ``_output``, ``_demo``.

This package is the top of the import graph: it may import anything in ``calbookings_async``.
"""

from ._main import main

__all__ = ["main"]

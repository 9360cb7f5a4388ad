"""``python -m calbookings_async``: the ``calbookings`` command (``calbookings_async.cli``)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())

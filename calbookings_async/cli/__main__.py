"""``python -m calbookings_async.cli``: the ``calbookings`` command (see ``_main``)."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    raise SystemExit(main())

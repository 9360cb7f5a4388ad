"""The ``redis-server`` the benchmarks that need one start: the tests' own (``tests/_servers.py``:
a free loopback port, nothing on disk, stopped by its pid), so there is one way to run it.

The benchmarks check that ``redis-server`` is installed before they make one.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _servers import RedisServer  # tests/_servers.py

__all__ = ["RedisServer"]

"""Reads the two seed documents (tests/data/seeds/): their example request and response bodies.

Each seed is a Cal.com API reference page saved as text: a curl command whose ``--data '...'``
holds the example request body, followed by the example response as pretty-printed JSON.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import attrs

SEEDS = Path(__file__).parent / "data" / "seeds"
DECLINE = SEEDS / "000_01b4b8b7616c19be.txt"
MARK_ABSENT = SEEDS / "002_f231a717dad3fe61.txt"


@attrs.frozen
class Seed:
    """One seed document.

    Attributes:
        method: The HTTP method of the example.
        path: The path template of the example (``/v2/bookings/{bookingUid}/decline``).
        request_body: The example request body.
        response: The example response envelope.
    """

    method: str
    path: str
    request_body: dict[str, Any]
    response: dict[str, Any]


@functools.cache
def load(path: Path) -> Seed:
    """Parse one seed document (cached: callers must copy before changing the bodies)."""
    text = path.read_text()
    method = text.split("\n", 1)[0].strip()
    url_line = next(line for line in text.splitlines() if "--url " in line)
    url = url_line.split("--url ", 1)[1].split()[0]
    data_start = text.index("--data '") + len("--data '")
    data_end = text.index("'", data_start)
    decoder = json.JSONDecoder()
    response, _ = decoder.raw_decode(text[text.index('{\n  "status"') :])
    return Seed(
        method=method,
        path=url.split("https://api.cal.com", 1)[1],
        request_body=json.loads(text[data_start:data_end]),
        response=response,
    )

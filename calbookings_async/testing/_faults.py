"""Scripted and probabilistic fault injection for the emulator.

A test arms :class:`FaultRule` objects through :meth:`FaultInjector.inject`: "the next 3 requests
to ``POST /v2/bookings/{bookingUid}/cancel`` get a 503", or "every request has a 5% chance of a
dropped connection". The server asks :meth:`FaultInjector.pick` once per request; the answer is
deterministic under the emulator's seed (a dedicated random generator, so arming faults never
changes the uids the data generator produces). Every fault applied is counted by kind and route.
What each kind does on the wire is implemented by the server; this module only decides. Stdlib
only; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

import enum
import random
from collections import Counter
from dataclasses import dataclass

__all__ = ["AFTER_WRITE", "FaultInjector", "FaultKind", "FaultRule"]


class FaultKind(str, enum.Enum):
    """What goes wrong.

    Faults that stand for a proxy or gateway answering (``HTTP_5xx``, ``HTML_ERROR``,
    ``NON_JSON``, ``RATE_LIMIT``, ``DROP_BEFORE``) happen before the request is processed, so no
    state changes. ``DROP_AFTER`` and ``TRUNCATED`` happen after the write was applied, so the
    client cannot know whether it took effect. ``DELAY`` sleeps and then processes the request
    normally (the write is applied even if the client gave up waiting).
    """

    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    HTTP_504 = "http_504"
    DELAY = "delay"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"
    TRUNCATED = "truncated"
    NON_JSON = "non_json"
    HTML_ERROR = "html_error"
    RATE_LIMIT = "rate_limit"


#: Kinds applied after the request was processed (state may have changed).
AFTER_WRITE = frozenset({FaultKind.DROP_AFTER, FaultKind.TRUNCATED})


@dataclass(slots=True)
class FaultRule:
    """One armed fault.

    Attributes:
        kind: What happens.
        route: ``"METHOD /path/template"`` (e.g. ``"POST /v2/bookings/{bookingUid}/cancel"``), or
            None for every route.
        times: How many more times it fires; None for no limit.
        probability: Chance of firing on each matching request (after ``skip``).
        skip: Matching requests to let through before the rule becomes active.
        delay: Seconds to sleep for ``DELAY``.
        status: HTTP status for ``HTML_ERROR`` (default 502).
        reset: Seconds announced in the rate-limit headers of a ``RATE_LIMIT`` fault.
    """

    kind: FaultKind
    route: str | None = None
    times: int | None = 1
    probability: float = 1.0
    skip: int = 0
    delay: float = 1.0
    status: int = 502
    reset: int = 60

    def matches(self, route: str) -> bool:
        """Whether the rule applies to a route key."""
        return self.route is None or self.route == "*" or self.route == route


class FaultInjector:
    """The armed fault rules and the tally of faults served.

    Args:
        rng: A generator dedicated to fault decisions (seeded from the emulator's seed).
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._rules: list[FaultRule] = []
        self.counts: Counter[tuple[str, str]] = Counter()

    @property
    def rules(self) -> list[FaultRule]:
        """The rules still armed, in the order they are tried."""
        return list(self._rules)

    def inject(
        self,
        kind: FaultKind | str,
        *,
        route: str | None = None,
        times: int | None = 1,
        probability: float = 1.0,
        skip: int = 0,
        delay: float = 1.0,
        status: int = 502,
        reset: int = 60,
    ) -> FaultRule:
        """Arm a fault.

        Args:
            kind: A :class:`FaultKind` or its value (``"http_503"``, ``"drop_after"``, ...).
            route: ``"METHOD /path/template"`` or None for every route.
            times: How many times it fires (None: unlimited, typical with ``probability``).
            probability: Chance per matching request, drawn from the seeded generator.
            skip: Let this many matching requests through first.
            delay: Seconds to sleep for ``DELAY``.
            status: Status of an ``HTML_ERROR`` page.
            reset: Seconds in the ``Reset`` header of a ``RATE_LIMIT`` fault.

        Returns:
            The armed rule (it can be inspected, or removed with :meth:`remove`).
        """
        rule = FaultRule(
            kind=FaultKind(kind),
            route=route,
            times=times,
            probability=probability,
            skip=skip,
            delay=delay,
            status=status,
            reset=reset,
        )
        self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Disarm one rule (no error if it already fired out)."""
        if rule in self._rules:
            self._rules.remove(rule)

    def clear(self) -> None:
        """Disarm every rule (the counts are kept; see :meth:`reset_counts`)."""
        self._rules.clear()

    def reset_counts(self) -> None:
        """Zero the tally of faults served."""
        self.counts.clear()

    def pick(self, route: str) -> FaultRule | None:
        """Decide the fault for one request (consuming ``skip``/``times``), or None."""
        if not self._rules:
            return None
        for rule in self._rules:
            if not rule.matches(route):
                continue
            if rule.skip > 0:
                rule.skip -= 1
                continue
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
            return rule
        return None

    def record(self, kind: FaultKind, route: str) -> None:
        """Count one fault served."""
        self.counts[(kind.value, route)] += 1

    def count(self, kind: FaultKind | str | None = None, route: str | None = None) -> int:
        """How many faults were served, optionally of one kind and/or on one route."""
        wanted = FaultKind(kind).value if kind is not None else None
        return sum(
            n
            for (k, r), n in self.counts.items()
            if (wanted is None or k == wanted) and (route is None or r == route)
        )

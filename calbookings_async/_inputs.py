"""What the caller sends: request-body classes, checked when they are built.

Frozen, keyword-only attrs classes, one per request body of the API. Every field is validated
in the constructor, so a malformed value fails where the caller wrote it, with an
:class:`~calbookings_async.InvalidArgumentError` naming ``Class.field``. Fields left at ``None``
are not sent (the converter omits them): only what the caller set reaches the server.

Pure data like ``_models``: no HTTP, no cattrs. Imports ``_models``, ``_validate`` and below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from ._errors import InvalidArgumentError
from ._validate import check_bool, check_email, check_text, items_of

__all__ = [
    "DeclineBookingInput",
    "MarkAbsentAttendee",
    "MarkAbsentBookingInput",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _field_name(instance: Any, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def checked(check: Callable[..., Any], *, optional: bool = False, **options: Any) -> Validator:
    """An attrs validator running ``check(name, value, **options)``; ``None`` passes if optional."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        check(_field_name(instance, attribute), value, **options)

    return validate


def as_tuple(value: Any) -> Any:
    """An attrs converter: a list becomes a tuple; anything else is left for the validator."""
    if isinstance(value, list):
        return tuple(value)
    return value


def items_are(cls: type[Any], *, optional: bool = False, max_items: int | None = None) -> Validator:
    """An attrs validator: a tuple whose items are all ``cls`` instances."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        name = _field_name(instance, attribute)
        items = items_of(name, value)
        for index, item in enumerate(items):
            if not isinstance(item, cls):
                raise InvalidArgumentError(
                    f"{name}[{index}]",
                    f"expected {cls.__name__}, got {type(item).__name__}",
                )
        if max_items is not None and len(items) > max_items:
            raise InvalidArgumentError(name, f"at most {max_items} items, got {len(items)}")

    return validate


@attrs.frozen(kw_only=True)
class MarkAbsentAttendee:
    """One attendee's attendance, for :meth:`Bookings.mark_absent`.

    Attributes:
        email: The attendee's email address, as on the booking.
        absent: True if the attendee did not show up.
    """

    email: str = attrs.field(validator=checked(check_email))
    absent: bool = attrs.field(validator=checked(check_bool))


@attrs.frozen(kw_only=True)
class DeclineBookingInput:
    """Body of ``POST /v2/bookings/{bookingUid}/decline``.

    Attributes:
        reason: Why the booking is declined (shown to the attendee).
    """

    reason: str | None = attrs.field(default=None, validator=checked(check_text, optional=True))


@attrs.frozen(kw_only=True)
class MarkAbsentBookingInput:
    """Body of ``POST /v2/bookings/{bookingUid}/mark-absent``.

    Attributes:
        host: Whether the host was absent.
        attendees: Attendance of individual attendees.
    """

    host: bool | None = attrs.field(default=None, validator=checked(check_bool, optional=True))
    attendees: tuple[MarkAbsentAttendee, ...] | None = attrs.field(
        default=None,
        converter=as_tuple,
        validator=items_are(MarkAbsentAttendee, optional=True),
    )

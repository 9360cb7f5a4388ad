"""calbookings_async: an async, typed SDK for the Cal.com API v2 bookings endpoints.

Start with :class:`CalBookings`::

    from calbookings_async import CalBookings

    async with CalBookings(api_key="cal_live_...") as cal:
        booking = await cal.bookings.decline("booking_uid_123", reason="Host is ill")

Everything public is importable from this package; the modules starting with ``_`` are private.
"""

from ._bookings import Bookings
from ._client import CalBookings
from ._config import SDK_VERSION as __version__
from ._config import RetryAttempt, RetryPolicy, Timeout
from ._errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    CalError,
    ConflictError,
    DecodeError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    RequestTimeout,
    ServerError,
    TokenExpiredError,
    TransportError,
    UnprocessableEntityError,
)
from ._inputs import MarkAbsentAttendee
from ._models import (
    Attendee,
    Booking,
    BookingHost,
    BookingStatus,
    EventType,
    RecurringBooking,
    RecurringSeatedBooking,
    SeatedAttendee,
    SeatedBooking,
)

__all__ = [
    "APIStatusError",
    "Attendee",
    "AuthenticationError",
    "BadRequestError",
    "Booking",
    "BookingHost",
    "BookingStatus",
    "Bookings",
    "CalBookings",
    "CalError",
    "ConflictError",
    "DecodeError",
    "EventType",
    "InvalidArgumentError",
    "MarkAbsentAttendee",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RecurringBooking",
    "RecurringSeatedBooking",
    "RequestTimeout",
    "RetryAttempt",
    "RetryPolicy",
    "SeatedAttendee",
    "SeatedBooking",
    "ServerError",
    "Timeout",
    "TokenExpiredError",
    "TransportError",
    "UnprocessableEntityError",
    "__version__",
]

"""What the caller sends: request-body classes, checked when they are built.

Frozen, keyword-only attrs classes, one per request body of the API. Every field is validated
in the constructor, so a malformed value fails where the caller wrote it, with an
:class:`~calbookings_async.InvalidArgumentError` naming ``Class.field``. Fields left at ``None``
are not sent (the converter omits them): only what the caller set reaches the server.

Locations are one class per variant of the API's ``location`` union; each carries its ``type``
discriminator as a fixed field that the caller never sets and the body always contains.
Enumerated values (``language``, ``integration``) take the enum member or its string value;
anything else is refused here, not by the server.

The classes users build are exported by the package. The bodies the endpoint methods build
from their keyword arguments (reschedule, cancel, decline, ...) are internal and left out of
``__all__``; they exist so that every request body of the spec has a class (the conformance
tests hold each one against its schema).

Pure data like ``_models``: no HTTP, no cattrs. Imports ``_models``, ``_validate`` and below.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal, TypeAlias, TypeVar

import attrs

from ._errors import InvalidArgumentError
from ._models import BookerScope, Language, LocationIntegration, ReportReason
from ._validate import (
    check_aware_datetime,
    check_bool,
    check_email,
    check_int,
    check_str,
    check_text,
    items_of,
)

__all__ = [
    "MAX_GUESTS_PER_REQUEST",
    "AddAttendeeInput",
    "AddressLocation",
    "AttendeeAddressLocation",
    "AttendeeDefinedLocation",
    "AttendeePhoneLocation",
    "BookingLocation",
    "CreateBookingAttendee",
    "CreateBookingInput",
    "CreateBookingRouting",
    "CreateInstantBookingInput",
    "CreateRecurringBookingInput",
    "Guest",
    "IntegrationLocation",
    "LinkLocation",
    "LocationUpdate",
    "MarkAbsentAttendee",
    "OrganizersDefaultAppLocation",
    "PhoneLocation",
    "UpdateAddressLocation",
    "UpdateLinkLocation",
    "UpdatePhoneLocation",
    "enum_member",
    "from_keywords",
]

#: Most guests one ``POST /v2/bookings/{uid}/guests`` call may add (the server allows 30 per
#: booking in all).
MAX_GUESTS_PER_REQUEST = 10
#: Metadata limits the server enforces (``ValidateMetadata``).
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_STRING_LENGTH = 500

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


def _field_name(instance: Any, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def from_keywords(cls: Callable[..., T], **arguments: Any) -> T:
    """Build a body class from an endpoint method's keyword arguments.

    The class checks every field; a bad one is named as the caller's keyword argument
    (``email``), not as the field of a class the caller never saw
    (``SendVerificationEmailInput.email``).

    Raises:
        InvalidArgumentError: A malformed argument.
    """
    try:
        return cls(**arguments)
    except InvalidArgumentError as error:
        raise InvalidArgumentError(error.argument.split(".", 1)[-1], error.problem) from None


def checked(check: Callable[..., Any], *, optional: bool = False, **options: Any) -> Validator:
    """An attrs validator running ``check(name, value, **options)``; ``None`` passes if optional."""

    if options:
        check = functools.partial(check, **options)

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        try:
            check("", value)
        except InvalidArgumentError as error:
            # The name is built only for the error: validators run for every request body.
            name = _field_name(instance, attribute) + error.argument  # keeps "[0]", "[key]"
            raise InvalidArgumentError(name, error.problem) from None

    return validate


def as_tuple(value: Any) -> Any:
    """An attrs converter: a list becomes a tuple; anything else is left for the validator."""
    if isinstance(value, list):
        return tuple(value)
    return value


def as_dict(value: Any) -> Any:
    """An attrs converter: a mapping is copied (later changes by the caller are not sent)."""
    if isinstance(value, Mapping):
        return dict(value)
    return value


def items_are(
    cls: type[Any] | tuple[type[Any], ...],
    *,
    optional: bool = False,
    min_items: int = 0,
    max_items: int | None = None,
) -> Validator:
    """An attrs validator: a tuple whose items are all ``cls`` instances."""
    names = " or ".join(c.__name__ for c in cls) if isinstance(cls, tuple) else cls.__name__

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        name = _field_name(instance, attribute)
        items = items_of(name, value)
        for index, item in enumerate(items):
            if not isinstance(item, cls):
                raise InvalidArgumentError(
                    f"{name}[{index}]",
                    f"expected {names}, got {type(item).__name__}",
                )
        if len(items) < min_items:
            raise InvalidArgumentError(name, f"at least {min_items} items, got {len(items)}")
        if max_items is not None and len(items) > max_items:
            raise InvalidArgumentError(name, f"at most {max_items} items, got {len(items)}")

    return validate


def items_checked(
    check: Callable[..., Any], *, optional: bool = False, **options: Any
) -> Validator:
    """An attrs validator: a tuple whose items each pass ``check(name[i], item, **options)``."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        name = _field_name(instance, attribute)
        for index, item in enumerate(items_of(name, value)):
            check(f"{name}[{index}]", item, **options)

    return validate


def one_of(*classes: type[Any], optional: bool = False) -> Validator:
    """An attrs validator: an instance of one of ``classes``."""
    names = ", ".join(cls.__name__ for cls in classes)

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, classes):
            raise InvalidArgumentError(
                _field_name(instance, attribute),
                f"expected one of {names}, got {type(value).__name__}",
            )

    return validate


def enum_member(enum_cls: type[E], value: Any) -> E | Any:
    """Return the member of ``enum_cls`` that ``value`` is or names, else ``value`` unchanged.

    Used as a converter, so that the validator (:func:`member_of`) can name the field when the
    value is unknown.
    """
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        try:
            return enum_cls(value)
        except ValueError:
            return value
    return value


def check_member(argument: str, value: Any, enum_cls: type[enum.Enum]) -> None:
    """Raise :class:`InvalidArgumentError` unless ``value`` is a member of ``enum_cls``."""
    if not isinstance(value, enum_cls):
        if len(enum_cls) <= 8:
            allowed = "one of " + ", ".join(repr(member.value) for member in enum_cls)
        else:
            allowed = f"a {enum_cls.__name__} value"
        raise InvalidArgumentError(argument, f"expected {allowed}, got {value!r}")


def member_of(enum_cls: type[enum.Enum], *, optional: bool = False) -> Validator:
    """An attrs validator: a member of ``enum_cls`` (after :func:`enum_member` conversion)."""
    return checked(check_member, optional=optional, enum_cls=enum_cls)


def _language(value: Language | None) -> Language | None:
    # A named function (not a lambda or partial) so that type checkers see the parameter type.
    return enum_member(Language, value)


def _integration(value: LocationIntegration) -> LocationIntegration:
    return enum_member(LocationIntegration, value)


def _report_reason(value: ReportReason) -> ReportReason:
    return enum_member(ReportReason, value)


def _booker_scope(value: BookerScope) -> BookerScope:
    return enum_member(BookerScope, value)


def _check_metadata(argument: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(argument, f"expected a mapping, got {type(value).__name__}")
    if len(value) > MAX_METADATA_KEYS:
        raise InvalidArgumentError(argument, f"at most {MAX_METADATA_KEYS} keys, got {len(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidArgumentError(argument, f"keys must be non-empty strings, got {key!r}")
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise InvalidArgumentError(
                f"{argument}[{key!r}]",
                f"keys may have at most {MAX_METADATA_KEY_LENGTH} characters, got {len(key)}",
            )
        if isinstance(item, str):
            if len(item) > MAX_METADATA_STRING_LENGTH:
                raise InvalidArgumentError(
                    f"{argument}[{key!r}]",
                    f"string values may have at most {MAX_METADATA_STRING_LENGTH} characters, "
                    f"got {len(item)}",
                )
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidArgumentError(f"{argument}[{key!r}]", "must be a finite number")
        elif not isinstance(item, (bool, int, float)):
            raise InvalidArgumentError(
                f"{argument}[{key!r}]",
                f"values must be strings, numbers or booleans, got {type(item).__name__}",
            )


def _check_responses(argument: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(argument, f"expected a mapping, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str) or not key:
            raise InvalidArgumentError(argument, f"keys must be non-empty strings, got {key!r}")


def _positive_id(argument: str, value: Any) -> None:
    check_int(argument, value, minimum=1)


# --- locations -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AddressLocation:
    """Meet at the address the organizer set on the event type (``{"type": "address"}``)."""

    type: Literal["address"] = attrs.field(default="address", init=False)


@attrs.frozen(kw_only=True)
class AttendeeAddressLocation:
    """Meet at an address the attendee gives.

    Attributes:
        address: The address (``"123 Example St, City, Country"``).
    """

    type: Literal["attendeeAddress"] = attrs.field(default="attendeeAddress", init=False)
    address: str = attrs.field(validator=checked(check_str))


@attrs.frozen(kw_only=True)
class AttendeeDefinedLocation:
    """Meet wherever the attendee says (free text).

    Attributes:
        location: The place, as the attendee wrote it.
    """

    type: Literal["attendeeDefined"] = attrs.field(default="attendeeDefined", init=False)
    location: str = attrs.field(validator=checked(check_str))


@attrs.frozen(kw_only=True)
class AttendeePhoneLocation:
    """The host calls the attendee on a phone number the attendee gives.

    Attributes:
        phone: The attendee's phone number in international format (``"+37120993151"``).
    """

    type: Literal["attendeePhone"] = attrs.field(default="attendeePhone", init=False)
    phone: str = attrs.field(validator=checked(check_str))


@attrs.frozen(kw_only=True)
class IntegrationLocation:
    """Meet in a conferencing app (Cal Video, Google Meet, Zoom, ...).

    Attributes:
        integration: The app (a :class:`LocationIntegration` or its value, ``"cal-video"``).
    """

    type: Literal["integration"] = attrs.field(default="integration", init=False)
    integration: LocationIntegration = attrs.field(
        converter=_integration, validator=member_of(LocationIntegration)
    )


@attrs.frozen(kw_only=True)
class LinkLocation:
    """Meet at the link the organizer set on the event type (``{"type": "link"}``)."""

    type: Literal["link"] = attrs.field(default="link", init=False)


@attrs.frozen(kw_only=True)
class PhoneLocation:
    """Call the phone number the organizer set on the event type (``{"type": "phone"}``)."""

    type: Literal["phone"] = attrs.field(default="phone", init=False)


@attrs.frozen(kw_only=True)
class OrganizersDefaultAppLocation:
    """Meet in the organizer's default conferencing app (team event types only)."""

    type: Literal["organizersDefaultApp"] = attrs.field(default="organizersDefaultApp", init=False)


@attrs.frozen(kw_only=True)
class UpdateAddressLocation:
    """Move an existing booking to an address (:meth:`Bookings.update_location`).

    Attributes:
        address: The new address.
    """

    type: Literal["address"] = attrs.field(default="address", init=False)
    address: str = attrs.field(validator=checked(check_str))


@attrs.frozen(kw_only=True)
class UpdateLinkLocation:
    """Move an existing booking to a meeting link (:meth:`Bookings.update_location`).

    Attributes:
        link: The meeting URL (``"https://meet.google.com/txi-fein-xyz"``).
    """

    type: Literal["link"] = attrs.field(default="link", init=False)
    link: str = attrs.field(validator=checked(check_str))


@attrs.frozen(kw_only=True)
class UpdatePhoneLocation:
    """Move an existing booking to a phone call (:meth:`Bookings.update_location`).

    Attributes:
        phone: The phone number to call, in international format.
    """

    type: Literal["phone"] = attrs.field(default="phone", init=False)
    phone: str = attrs.field(validator=checked(check_str))


#: Where a new booking takes place: one of the event type's locations.
BookingLocation: TypeAlias = (
    AddressLocation
    | AttendeeAddressLocation
    | AttendeeDefinedLocation
    | AttendeePhoneLocation
    | IntegrationLocation
    | LinkLocation
    | PhoneLocation
    | OrganizersDefaultAppLocation
)
#: Where an existing booking moves to (:meth:`Bookings.update_location`).
LocationUpdate: TypeAlias = (
    UpdateAddressLocation
    | AttendeeAddressLocation
    | AttendeeDefinedLocation
    | AttendeePhoneLocation
    | UpdateLinkLocation
    | UpdatePhoneLocation
    | IntegrationLocation
)
_BOOKING_LOCATIONS = (
    AddressLocation,
    AttendeeAddressLocation,
    AttendeeDefinedLocation,
    AttendeePhoneLocation,
    IntegrationLocation,
    LinkLocation,
    PhoneLocation,
    OrganizersDefaultAppLocation,
)
_LOCATION_UPDATES = (
    UpdateAddressLocation,
    AttendeeAddressLocation,
    AttendeeDefinedLocation,
    AttendeePhoneLocation,
    UpdateLinkLocation,
    UpdatePhoneLocation,
    IntegrationLocation,
)


# --- create --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CreateBookingAttendee:
    """The person booking, for the create inputs.

    Attributes:
        name: The attendee's name.
        time_zone: The attendee's IANA time zone (``"America/New_York"``).
        email: Email address. An email or a phone number is required.
        phone_number: Phone number in international format (``"+919876543210"``).
        language: Language of the confirmation (a :class:`Language` or its value); the server
            defaults to English.
    """

    name: str = attrs.field(validator=checked(check_str))
    time_zone: str = attrs.field(validator=checked(check_str))
    email: str | None = attrs.field(default=None, validator=checked(check_email, optional=True))
    phone_number: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )
    language: Language | None = attrs.field(
        default=None, converter=_language, validator=member_of(Language, optional=True)
    )

    def __attrs_post_init__(self) -> None:
        if self.email is None and self.phone_number is None:
            raise InvalidArgumentError(
                "CreateBookingAttendee.email",
                "give an email or a phone_number: the attendee needs a way to be reached",
            )


@attrs.frozen(kw_only=True)
class CreateBookingRouting:
    """How a routing form assigned the booking (for bookings made after a routing form).

    Attributes:
        response_id: The id of the routing form response.
        team_member_ids: The team members the form routed to.
        team_member_email: The email of the team member assigned.
        skip_contact_owner: Whether to skip assigning the CRM contact owner.
        crm_app_slug: The CRM app (``"salesforce"``).
        crm_owner_record_type: The CRM owner record type (``"Account"``).
    """

    response_id: int = attrs.field(validator=checked(_positive_id))
    team_member_ids: tuple[int, ...] = attrs.field(
        converter=as_tuple, validator=items_checked(_positive_id)
    )
    team_member_email: str | None = attrs.field(
        default=None, validator=checked(check_email, optional=True)
    )
    skip_contact_owner: bool | None = attrs.field(
        default=None, validator=checked(check_bool, optional=True)
    )
    crm_app_slug: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )
    crm_owner_record_type: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )


def _optional_bool() -> Any:
    return attrs.field(default=None, validator=checked(check_bool, optional=True))


@attrs.frozen(kw_only=True)
class _HostOverrides:
    """The rule overrides create and reschedule accept, honoured for hosts only.

    The server applies them when the credentials are the event type's host (or an admin of
    its team or organization) and ignores them otherwise. ``allow_booking_out_of_bounds`` and
    ``skip_booking_limits`` are documented for API version ``2026-02-25``; under the
    ``2024-08-13`` version the SDK sends they may be ignored.
    """

    allow_conflicts: bool | None = _optional_bool()
    allow_booking_out_of_bounds: bool | None = _optional_bool()
    skip_booking_limits: bool | None = _optional_bool()


@attrs.frozen(kw_only=True)
class _CreateBookingFields(_HostOverrides):
    """The fields the three create inputs share (see :class:`CreateBookingInput`)."""

    start: datetime = attrs.field(validator=checked(check_aware_datetime))
    attendee: CreateBookingAttendee = attrs.field(validator=one_of(CreateBookingAttendee))
    booking_fields_responses: Mapping[str, Any] | None = attrs.field(
        default=None, converter=as_dict, validator=checked(_check_responses, optional=True)
    )
    event_type_id: int | None = attrs.field(
        default=None, validator=checked(_positive_id, optional=True)
    )
    event_type_slug: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )
    username: str | None = attrs.field(default=None, validator=checked(check_str, optional=True))
    team_slug: str | None = attrs.field(default=None, validator=checked(check_str, optional=True))
    organization_slug: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )
    guests: tuple[str, ...] | None = attrs.field(
        default=None, converter=as_tuple, validator=items_checked(check_email, optional=True)
    )
    meeting_url: str | None = attrs.field(default=None, validator=checked(check_str, optional=True))
    location: BookingLocation | None = attrs.field(
        default=None, validator=one_of(*_BOOKING_LOCATIONS, optional=True)
    )
    metadata: Mapping[str, str | int | float | bool] | None = attrs.field(
        default=None, converter=as_dict, validator=checked(_check_metadata, optional=True)
    )
    length_in_minutes: int | None = attrs.field(
        default=None, validator=checked(_positive_id, optional=True)
    )
    routing: CreateBookingRouting | None = attrs.field(
        default=None, validator=one_of(CreateBookingRouting, optional=True)
    )
    email_verification_code: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )

    def __attrs_post_init__(self) -> None:
        # The server's rule (create-booking.input.ts): without an id, a slug plus its owner.
        if self.event_type_id is None and (
            self.event_type_slug is None or (self.username is None and self.team_slug is None)
        ):
            raise InvalidArgumentError(
                f"{type(self).__name__}.event_type_id",
                "identify the event type: event_type_id, or event_type_slug with username "
                "or team_slug",
            )


@attrs.frozen(kw_only=True)
class CreateBookingInput(_CreateBookingFields):
    """Body of ``POST /v2/bookings`` for a regular booking.

    The event type is named by ``event_type_id``, or by ``event_type_slug`` with ``username``
    (a personal event type) or ``team_slug`` (a team's), plus ``organization_slug`` inside an
    organization. Booking a recurring event type with this input books the whole series (the
    result is then a list); :class:`CreateRecurringBookingInput` also sets how many
    occurrences.

    Attributes:
        start: When the booking starts: an aware ``datetime`` (sent in UTC).
        attendee: The person booking.
        booking_fields_responses: Answers to the event type's booking questions, by field slug.
        event_type_id: The event type's id.
        event_type_slug: The event type's slug (with ``username`` or ``team_slug``).
        username: The owner of a personal event type named by slug.
        team_slug: The team owning an event type named by slug.
        organization_slug: The organization of the user or team named by slug.
        guests: Email addresses of further guests.
        meeting_url: Deprecated by the API in favour of ``location``.
        location: Where the meeting takes place (one of the event type's locations).
        metadata: Your own data: at most 50 keys of at most 40 characters; values are strings
            (at most 500 characters), numbers or booleans.
        length_in_minutes: The length, for event types offering several.
        routing: How a routing form assigned the booking.
        email_verification_code: The code the attendee received, for event types that verify
            emails (see :meth:`Bookings.send_email_verification_code`).
        allow_conflicts: Book even when a host is busy then. Hosts only.
        allow_booking_out_of_bounds: Book outside the event type's booking window (minimum
            notice, how far ahead). Hosts only; documented for API version ``2026-02-25``.
        skip_booking_limits: Ignore the event type's booking limits (per day, week, ...).
            Hosts only; documented for API version ``2026-02-25``.
    """


@attrs.frozen(kw_only=True)
class CreateInstantBookingInput(_CreateBookingFields):
    """Body of ``POST /v2/bookings`` for an instant meeting (team event types only).

    The fields are those of :class:`CreateBookingInput`; ``instant`` is always sent as true.
    The booking starts as ``awaiting_host`` until a host joins.
    """

    instant: Literal[True] = attrs.field(default=True, init=False)


@attrs.frozen(kw_only=True)
class CreateRecurringBookingInput(_CreateBookingFields):
    """Body of ``POST /v2/bookings`` for a recurring event type.

    The fields are those of :class:`CreateBookingInput`, plus:

    Attributes:
        recurrence_count: How many occurrences to book (at most the event type's count, which
            is the default).
    """

    recurrence_count: int | None = attrs.field(
        default=None, validator=checked(_positive_id, optional=True)
    )


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


# --- changes to an existing booking --------------------------------------------------------


@attrs.frozen(kw_only=True)
class RescheduleBookingInput(_HostOverrides):
    """Body of ``POST /v2/bookings/{bookingUid}/reschedule`` (a whole booking).

    Attributes:
        start: The new start: an aware ``datetime`` (sent in UTC).
        rescheduled_by: Email of who reschedules. Only matters for bookings that need
            confirmation: the event type owner's email confirms the new booking at once.
        rescheduling_reason: Why the booking moves.
        email_verification_code: The code the attendee received, for event types that verify
            emails.
        allow_conflicts: Move even when a host is busy then. Hosts only.
        allow_booking_out_of_bounds: Move outside the booking window. Hosts only.
        skip_booking_limits: Ignore the event type's booking limits. Hosts only.
    """

    start: datetime = attrs.field(validator=checked(check_aware_datetime))
    rescheduled_by: str | None = attrs.field(
        default=None, validator=checked(check_email, optional=True)
    )
    rescheduling_reason: str | None = attrs.field(
        default=None, validator=checked(check_text, optional=True)
    )
    email_verification_code: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )


@attrs.frozen(kw_only=True)
class RescheduleSeatedBookingInput(_HostOverrides):
    """Body of ``POST /v2/bookings/{bookingUid}/reschedule`` for one seat of a seated booking.

    Attributes:
        start: The new start: an aware ``datetime`` (sent in UTC).
        seat_uid: The seat to move.
        rescheduled_by: Email of who reschedules.
        email_verification_code: The code the attendee received, for event types that verify
            emails.
        allow_conflicts: Move even when a host is busy then. Hosts only.
        allow_booking_out_of_bounds: Move outside the booking window. Hosts only.
        skip_booking_limits: Ignore the event type's booking limits. Hosts only.
    """

    start: datetime = attrs.field(validator=checked(check_aware_datetime))
    rescheduled_by: str | None = attrs.field(
        default=None, validator=checked(check_email, optional=True)
    )
    seat_uid: str = attrs.field(validator=checked(check_str))
    email_verification_code: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )


@attrs.frozen(kw_only=True)
class CancelBookingInput:
    """Body of ``POST /v2/bookings/{bookingUid}/cancel`` (a booking or recurring bookings).

    Attributes:
        cancellation_reason: Why the booking is cancelled.
        cancel_subsequent_bookings: For one occurrence of a recurring (not seated) series:
            also cancel every later occurrence.
    """

    cancellation_reason: str | None = attrs.field(
        default=None, validator=checked(check_text, optional=True)
    )
    cancel_subsequent_bookings: bool | None = attrs.field(
        default=None, validator=checked(check_bool, optional=True)
    )


@attrs.frozen(kw_only=True)
class CancelSeatedBookingInput:
    """Body of ``POST /v2/bookings/{bookingUid}/cancel`` for one seat of a seated booking.

    Attributes:
        seat_uid: The seat to give up.
        cancellation_reason: Why the seat is cancelled.
    """

    seat_uid: str = attrs.field(validator=checked(check_str))
    cancellation_reason: str | None = attrs.field(
        default=None, validator=checked(check_text, optional=True)
    )


@attrs.frozen(kw_only=True)
class ReassignToUserBookingInput:
    """Body of ``POST /v2/bookings/{bookingUid}/reassign/{userId}``.

    Attributes:
        reason: Why the booking is reassigned.
    """

    reason: str | None = attrs.field(default=None, validator=checked(check_text, optional=True))


@attrs.frozen(kw_only=True)
class UpdateBookingLocationInput:
    """Body of ``PATCH /v2/bookings/{bookingUid}/location``.

    Attributes:
        location: Where the booking moves to.
    """

    location: LocationUpdate | None = attrs.field(
        default=None, validator=one_of(*_LOCATION_UPDATES, optional=True)
    )


@attrs.frozen(kw_only=True)
class Guest:
    """A guest to add to an existing booking (:meth:`Bookings.add_guests`).

    Attributes:
        email: The guest's email address.
        name: The guest's name.
        time_zone: The guest's IANA time zone.
        phone_number: Phone number in international format.
        language: Language of the guest's emails (a :class:`Language` or its value).
    """

    email: str = attrs.field(validator=checked(check_email))
    name: str | None = attrs.field(default=None, validator=checked(check_str, optional=True))
    time_zone: str | None = attrs.field(default=None, validator=checked(check_str, optional=True))
    phone_number: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )
    language: Language | None = attrs.field(
        default=None, converter=_language, validator=member_of(Language, optional=True)
    )


@attrs.frozen(kw_only=True)
class AddGuestsInput:
    """Body of ``POST /v2/bookings/{bookingUid}/guests``.

    Attributes:
        guests: One to ten guests (the server caps one request at 10, a booking at 30).
    """

    guests: tuple[Guest, ...] = attrs.field(
        converter=as_tuple,
        validator=items_are(Guest, min_items=1, max_items=MAX_GUESTS_PER_REQUEST),
    )


# --- attendees, rescheduling requests, email verification, reports ---------------------------


@attrs.frozen(kw_only=True)
class AddAttendeeInput:
    """An attendee to add to an existing booking (:meth:`Bookings.add_attendee`).

    The body of ``POST /v2/bookings/{bookingUid}/attendees``. The new attendee is emailed the
    booking and put on the calendar event. Seated bookings refuse it (take a seat instead).

    Attributes:
        email: The attendee's email address.
        name: The attendee's name.
        time_zone: The attendee's IANA time zone (``"America/New_York"``).
        phone_number: Phone number in international format.
        language: Language of the attendee's emails (a :class:`Language` or its value); the
            server defaults to English.
    """

    name: str = attrs.field(validator=checked(check_str))
    time_zone: str = attrs.field(validator=checked(check_str))
    phone_number: str | None = attrs.field(
        default=None, validator=checked(check_str, optional=True)
    )
    language: Language | None = attrs.field(
        default=None, converter=_language, validator=member_of(Language, optional=True)
    )
    email: str = attrs.field(validator=checked(check_email))


@attrs.frozen(kw_only=True)
class RequestRescheduleInput:
    """Body of ``POST /v2/bookings/{bookingUid}/request-reschedule``.

    Attributes:
        reschedule_reason: Why a new time is asked for (shown to the attendee).
    """

    reschedule_reason: str | None = attrs.field(
        default=None, validator=checked(check_text, optional=True)
    )


@attrs.frozen(kw_only=True)
class SendVerificationEmailInput:
    """Body of ``POST /v2/bookings/verification/email/send-code``.

    Attributes:
        email: Where the code is sent.
        username: The Cal.com username whose event type is being booked.
        language: Language of the email.
        is_verifying_email: Whether the code verifies an address a Cal.com user adds to their
            own account, rather than a booker's (changes the email's wording).
    """

    email: str = attrs.field(validator=checked(check_email))
    username: str | None = attrs.field(default=None, validator=checked(check_str, optional=True))
    language: Language | None = attrs.field(
        default=None, converter=_language, validator=member_of(Language, optional=True)
    )
    is_verifying_email: bool | None = _optional_bool()


@attrs.frozen(kw_only=True)
class VerifyEmailCodeInput:
    """Body of ``POST /v2/bookings/verification/email/verify-code``.

    Attributes:
        email: The address the code was sent to.
        code: The code from the email (the API documents no fixed format; examples have six
            digits).
    """

    email: str = attrs.field(validator=checked(check_email))
    code: str = attrs.field(validator=checked(check_str))


@attrs.frozen(kw_only=True)
class ReportOrgBookingInput:
    """Body of ``POST /v2/organizations/{orgId}/bookings/report``.

    Attributes:
        booking_uid: The booking reported.
        reason: Why.
        description: More words on why.
        report_type: Report the booker's email address or their whole domain.
    """

    booking_uid: str = attrs.field(validator=checked(check_str))
    reason: ReportReason = attrs.field(converter=_report_reason, validator=member_of(ReportReason))
    description: str | None = attrs.field(
        default=None, validator=checked(check_text, optional=True)
    )
    report_type: BookerScope = attrs.field(
        converter=_booker_scope, validator=member_of(BookerScope)
    )


@attrs.frozen(kw_only=True)
class BlockOrgBookingInput:
    """Body of ``POST /v2/organizations/{orgId}/bookings/block``.

    Attributes:
        booking_uid: The booking whose booker is blocked.
        block_type: Block the booker's email address or their whole domain.
    """

    booking_uid: str = attrs.field(validator=checked(check_str))
    block_type: BookerScope = attrs.field(converter=_booker_scope, validator=member_of(BookerScope))

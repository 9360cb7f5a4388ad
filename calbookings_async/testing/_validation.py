"""Request validation the way Cal.com's global ``ValidationPipe`` does it.

The live server runs class-validator with ``whitelist: true``: unknown properties are stripped
silently (nested ones too), optional properties sent as ``null`` count as absent, and any
constraint failure becomes a 400 ``BadRequestException`` whose ``details`` is
``{"errors": [ValidationError, ...]}`` (``target``, ``value``, ``property``, ``children``,
``constraints``; API-NOTES §7). The create, reschedule and cancel bodies go through their own
pipes, which also forbid unknown top-level keys (API-NOTES §12). Each ``clean_*`` function
validates one input class and returns the whitelisted body, or raises that 400. Query strings of
the listings and of the email-verification check are validated here too.
Stdlib only; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any

from ._envelope import ApiError, validation_error
from ._wire import parse_iso8601

__all__ = [
    "LANGUAGES",
    "LIST_STATUSES",
    "REFERENCE_TYPES",
    "REPORT_REASONS",
    "REPORT_TYPES",
    "clean_add_attendee",
    "clean_add_guests",
    "clean_block",
    "clean_cancel",
    "clean_create",
    "clean_decline",
    "clean_legacy_create",
    "clean_mark_absent",
    "clean_reassign",
    "clean_report",
    "clean_request_reschedule",
    "clean_reschedule",
    "clean_send_code",
    "clean_update_location",
    "clean_verify_code",
    "forbid_unknown",
    "parse_check_query",
    "parse_list_query",
    "parse_reference_type",
]

LANGUAGES = [
    "ar",
    "ca",
    "de",
    "es",
    "eu",
    "he",
    "id",
    "ja",
    "lv",
    "pl",
    "ro",
    "sr",
    "th",
    "vi",
    "az",
    "cs",
    "el",
    "es-419",
    "fi",
    "hr",
    "it",
    "km",
    "nl",
    "pt",
    "ru",
    "sv",
    "tr",
    "zh-CN",
    "bg",
    "da",
    "en",
    "et",
    "fr",
    "hu",
    "iw",
    "ko",
    "no",
    "pt-BR",
    "sk",
    "ta",
    "uk",
    "zh-TW",
    "bn",
]
_LANGUAGE_SET = frozenset(LANGUAGES)
INTEGRATIONS = [
    "cal-video",
    "google-meet",
    "zoom",
    "whereby-video",
    "whatsapp-video",
    "webex-video",
    "telegram-video",
    "tandem",
    "sylaps-video",
    "skype-video",
    "sirius-video",
    "signal-video",
    "shimmer-video",
    "salesroom-video",
    "roam-video",
    "riverside-video",
    "ping-video",
    "office365-video",
    "mirotalk-video",
    "jitsi",
    "jelly-video",
    "jelly-conferencing",
    "huddle",
    "facetime-video",
    "element-call-video",
    "eightxeight-video",
    "discord-video",
    "demodesk-video",
    "campfire-video",
]
_INTEGRATION_ENUM = "integration must be one of the following values: " + ", ".join(INTEGRATIONS)
LIST_STATUSES = ("upcoming", "recurring", "past", "cancelled", "unconfirmed")
REFERENCE_TYPES = (
    "google_calendar",
    "office365_calendar",
    "daily_video",
    "google_video",
    "office365_video",
    "zoom_video",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_INT = re.compile(r"^-?\d+$")

_CREATE_FIELDS = (
    "start",
    "attendee",
    "bookingFieldsResponses",
    "eventTypeId",
    "eventTypeSlug",
    "username",
    "teamSlug",
    "organizationSlug",
    "guests",
    "meetingUrl",
    "location",
    "metadata",
    "lengthInMinutes",
    "routing",
    "emailVerificationCode",
    "instant",
    "recurrenceCount",
    "rrHostSubsetIds",
    "allowConflicts",
    "allowBookingOutOfBounds",
    "skipBookingLimits",
)
#: Booleans the create and reschedule inputs accept (hosts only; API-NOTES §13).
_HOST_FLAGS = ("allowConflicts", "allowBookingOutOfBounds", "skipBookingLimits")
_LOCATION_FIELDS: dict[str, tuple[str, ...]] = {
    "address": (),
    "attendeeAddress": ("address",),
    "attendeeDefined": ("location",),
    "attendeePhone": ("phone",),
    "integration": ("integration",),
    "link": (),
    "phone": (),
    "organizersDefaultApp": (),
}
_UPDATE_LOCATION_FIELDS: dict[str, tuple[str, ...]] = {
    "address": ("address",),
    "attendeeAddress": ("address",),
    "attendeeDefined": ("location",),
    "attendeePhone": ("phone",),
    "link": ("link",),
    "phone": ("phone",),
    "integration": ("integration",),
}
#: ``reason`` of an organization booking report, and the report and block types.
REPORT_REASONS = ("SPAM", "UNWANTED", "DONT_KNOW_PERSON", "OTHER")
REPORT_TYPES = ("EMAIL", "DOMAIN")


@functools.lru_cache(maxsize=1024)
def valid_time_zone(name: str) -> bool:
    """Whether a name is an IANA time zone (class-validator ``IsTimeZone``)."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except Exception:
        return False
    return True


def _missing(body: Mapping[str, Any], key: str) -> bool:
    return body.get(key) is None


class _Errors:
    """Collects class-validator ``ValidationError`` objects for one input object."""

    def __init__(self, target: dict[str, Any]) -> None:
        self.target = target
        self.items: list[dict[str, Any]] = []

    def add(self, prop: str, constraints: dict[str, str]) -> None:
        error: dict[str, Any] = {"target": self.target}
        if prop in self.target:
            error["value"] = self.target[prop]
        error["property"] = prop
        error["children"] = []
        error["constraints"] = constraints
        self.items.append(error)

    def nested(self, prop: str, children: list[dict[str, Any]]) -> None:
        error: dict[str, Any] = {"target": self.target}
        if prop in self.target:
            error["value"] = self.target[prop]
        error["property"] = prop
        error["children"] = children
        self.items.append(error)

    def raise_if_any(self) -> None:
        if self.items:
            raise validation_error(self.items)


def _whitelist(body: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: body[k] for k in fields if k in body}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _optional_string(errors: _Errors, body: dict[str, Any], prop: str) -> None:
    if not _missing(body, prop) and not isinstance(body[prop], str):
        errors.add(prop, {"isString": f"{prop} must be a string"})


def _optional_bool(errors: _Errors, body: dict[str, Any], prop: str) -> None:
    if not _missing(body, prop) and not isinstance(body[prop], bool):
        errors.add(prop, {"isBoolean": f"{prop} must be a boolean value"})


def _start(errors: _Errors, body: dict[str, Any]) -> None:
    value = body.get("start")
    parsed = parse_iso8601(value) if isinstance(value, str) else None
    if parsed is None:
        errors.add("start", {"isDateString": "start must be a valid ISO 8601 date string"})
    elif not parsed[1]:
        errors.add("start", {"isUTC": "start must be in UTC, e.g. 2024-08-13T09:00:00Z"})


def _person(
    value: dict[str, Any], fields: tuple[str, ...], *, email_required: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    clean = _whitelist(value, fields)
    errors = _Errors(clean)
    if "name" in fields and not email_required and not isinstance(clean.get("name"), str):
        errors.add("name", {"isString": "name must be a string"})
    if email_required:
        if not isinstance(clean.get("email"), str) or not _EMAIL.match(clean["email"]):
            errors.add("email", {"isEmail": "email must be an email"})
    elif not _missing(clean, "email") and (
        not isinstance(clean["email"], str) or not _EMAIL.match(clean["email"])
    ):
        errors.add("email", {"isEmail": "email must be an email"})
    if email_required:
        _optional_string(errors, clean, "name")
    time_zone = clean.get("timeZone")
    if (not email_required or time_zone is not None) and (
        not isinstance(time_zone, str) or not valid_time_zone(time_zone)
    ):
        errors.add("timeZone", {"isTimeZone": "timeZone must be a valid IANA time-zone"})
    phone = clean.get("phoneNumber")
    if phone is not None and (not isinstance(phone, str) or not _PHONE.match(phone)):
        errors.add("phoneNumber", {"isPhoneNumber": "phoneNumber must be a valid phone number"})
    language = clean.get("language")
    if language is not None and language not in _LANGUAGE_SET:
        errors.add(
            "language",
            {"isEnum": f"language must be one of the following values: {', '.join(LANGUAGES)}"},
        )
    if not email_required and _missing(clean, "email") and _missing(clean, "phoneNumber"):
        errors.add(
            "email",
            {
                "emailOrPhone": (
                    "Attendee must have at least one contact method (email or phone number)"
                )
            },
        )
    return clean, errors.items


def _location(
    errors: _Errors, body: dict[str, Any], variants: dict[str, tuple[str, ...]], *, update: bool
) -> None:
    value = body.get("location")
    if value is None:
        if update:
            errors.add("location", {"isDefined": "location should not be null or undefined"})
        return
    if isinstance(value, str) and not update:
        return
    allowed = ", ".join(variants)
    if not isinstance(value, dict) or value.get("type") not in variants:
        errors.add("location", {"isLocation": f"location.type must be one of: {allowed}"})
        return
    kind = value["type"]
    clean = {"type": kind, **{k: value[k] for k in variants[kind] if k in value}}
    body["location"] = clean
    children = _Errors(clean)
    for prop in variants[kind]:
        item = clean.get(prop)
        if prop == "integration":
            if item not in INTEGRATIONS:
                children.add(
                    prop,
                    {"isEnum": _INTEGRATION_ENUM},
                )
        elif prop == "link":
            if not isinstance(item, str) or not _URL.match(item):
                children.add(prop, {"isUrl": "link must be a URL address"})
        elif not isinstance(item, str):
            children.add(prop, {"isString": f"{prop} must be a string"})
    if children.items:
        errors.nested("location", children.items)


def _metadata(errors: _Errors, body: dict[str, Any]) -> None:
    value = body.get("metadata")
    if value is None:
        return
    if not isinstance(value, dict):
        errors.add("metadata", {"isObject": "metadata must be an object"})
        return
    ok = len(value) <= 50 and all(
        len(k) <= 40
        and ((isinstance(v, str) and len(v) <= 500) or isinstance(v, bool) or _is_number(v))
        for k, v in value.items()
    )
    if not ok:
        errors.add(
            "metadata",
            {
                "metadataValidator": (
                    "Metadata must have at most 50 keys, each key up to 40 characters, and string "
                    "values up to 500 characters."
                )
            },
        )


def forbid_unknown(body: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    """The create, reschedule and cancel pipes' ``forbidNonWhitelisted`` (API-NOTES §12).

    Raises:
        ApiError: 400 whose message joins ``"<key> property is wrong,property <key> should not
            exist"`` for every unknown top-level key.
    """
    unknown = [k for k in body if k not in fields]
    if unknown:
        raise ApiError(
            400,
            ", ".join(f"{k} property is wrong,property {k} should not exist" for k in unknown),
        )


def clean_create(body: Any) -> dict[str, Any]:
    """Validate a ``POST /v2/bookings`` body (any of the three create input classes).

    Returns:
        The whitelisted body, with ``null`` optional properties dropped.

    Raises:
        ApiError: 400 for an unknown key (the create pipe forbids them), the ValidationPipe 400,
            or 400 when no event type identification is given.
    """
    if not isinstance(body, dict):
        body = {}
    forbid_unknown(body, _CREATE_FIELDS)
    clean = {k: v for k, v in body.items() if v is not None}
    errors = _Errors(clean)
    _start(errors, clean)
    _create_attendee(errors, clean)
    if "bookingFieldsResponses" in clean and not isinstance(clean["bookingFieldsResponses"], dict):
        errors.add(
            "bookingFieldsResponses", {"isObject": "bookingFieldsResponses must be an object"}
        )
    if "eventTypeId" in clean and not _is_int(clean["eventTypeId"]):
        errors.add("eventTypeId", {"isInt": "eventTypeId must be an integer number"})
    for prop in ("eventTypeSlug", "username", "teamSlug", "organizationSlug"):
        _optional_string(errors, clean, prop)
    _guest_emails(errors, clean)
    if "meetingUrl" in clean and (
        not isinstance(clean["meetingUrl"], str) or not _URL.match(clean["meetingUrl"])
    ):
        errors.add("meetingUrl", {"isUrl": "meetingUrl must be a URL address"})
    _location(errors, clean, _LOCATION_FIELDS, update=False)
    _metadata(errors, clean)
    for prop in ("lengthInMinutes", "recurrenceCount"):
        _positive_int(errors, clean, prop)
    _routing(errors, clean)
    _optional_string(errors, clean, "emailVerificationCode")
    for prop in ("instant", *_HOST_FLAGS):
        _optional_bool(errors, clean, prop)
    errors.raise_if_any()
    has_id = "eventTypeId" in clean
    has_slug = "eventTypeSlug" in clean and ("username" in clean or "teamSlug" in clean)
    if not has_id and not has_slug:
        raise ApiError(
            400,
            "Either eventTypeId or eventTypeSlug + username or eventTypeSlug + teamSlug must be "
            "provided",
        )
    return clean


def _create_attendee(errors: _Errors, clean: dict[str, Any]) -> None:
    attendee = clean.get("attendee")
    if attendee is None:
        errors.add("attendee", {"isDefined": "attendee should not be null or undefined"})
    elif not isinstance(attendee, dict):
        errors.add(
            "attendee",
            {"nestedValidation": "nested property attendee must be either object or array"},
        )
    else:
        person, children = _person(
            attendee,
            ("name", "email", "timeZone", "phoneNumber", "language"),
            email_required=False,
        )
        clean["attendee"] = person
        if children:
            errors.nested("attendee", children)


def _guest_emails(errors: _Errors, clean: dict[str, Any]) -> None:
    if "guests" not in clean:
        return
    guests = clean["guests"]
    if not isinstance(guests, list):
        errors.add(
            "guests",
            {
                "isString": "each value in guests must be a string",
                "isArray": "guests must be an array",
            },
        )
    elif not all(isinstance(g, str) for g in guests):
        errors.add("guests", {"isString": "each value in guests must be a string"})


def _positive_int(errors: _Errors, clean: dict[str, Any], prop: str) -> None:
    if prop not in clean:
        return
    value = clean[prop]
    constraints = {}
    if not _is_number(value) or value < 1:
        constraints["min"] = f"{prop} must not be less than 1"
    if not _is_int(value):
        constraints["isInt"] = f"{prop} must be an integer number"
    if constraints:
        errors.add(prop, constraints)


def _routing(errors: _Errors, clean: dict[str, Any]) -> None:
    routing = clean.get("routing")
    if routing is not None and (
        not isinstance(routing, dict)
        or not _is_int(routing.get("responseId"))
        or not isinstance(routing.get("teamMemberIds"), list)
        or not all(_is_int(i) for i in routing["teamMemberIds"])
    ):
        errors.add(
            "routing",
            {
                "routingValidator": (
                    "routing must have an integer responseId and an array of integer teamMemberIds"
                )
            },
        )


def clean_reschedule(body: Any) -> dict[str, Any]:
    """Validate a reschedule body; ``seatUid`` in the body selects the seated input class."""
    if not isinstance(body, dict):
        body = {}
    seated = "seatUid" in body
    fields = (
        ("start", "rescheduledBy", "seatUid", "emailVerificationCode", *_HOST_FLAGS)
        if seated
        else ("start", "rescheduledBy", "reschedulingReason", "emailVerificationCode", *_HOST_FLAGS)
    )
    forbid_unknown(body, fields)
    clean = {k: v for k, v in body.items() if v is not None or k == "seatUid"}
    errors = _Errors(clean)
    _start(errors, clean)
    if seated and not isinstance(clean.get("seatUid"), str):
        errors.add("seatUid", {"isString": "seatUid must be a string"})
    for prop in ("rescheduledBy", "reschedulingReason", "emailVerificationCode"):
        _optional_string(errors, clean, prop)
    for prop in _HOST_FLAGS:
        _optional_bool(errors, clean, prop)
    errors.raise_if_any()
    return clean


def clean_cancel(body: Any) -> dict[str, Any]:
    """Validate a cancel body; ``seatUid`` in the body selects the seated input class."""
    if not isinstance(body, dict):
        body = {}
    seated = "seatUid" in body
    fields = (
        ("seatUid", "cancellationReason")
        if seated
        else ("cancellationReason", "cancelSubsequentBookings")
    )
    forbid_unknown(body, fields)
    clean = {k: v for k, v in body.items() if v is not None or k == "seatUid"}
    errors = _Errors(clean)
    if seated and not isinstance(clean.get("seatUid"), str):
        errors.add("seatUid", {"isString": "seatUid must be a string"})
    _optional_string(errors, clean, "cancellationReason")
    _optional_bool(errors, clean, "cancelSubsequentBookings")
    errors.raise_if_any()
    return clean


def clean_mark_absent(body: Any) -> dict[str, Any]:
    """Validate a mark-absent body (``host`` and ``attendees[{email, absent}]``)."""
    if not isinstance(body, dict):
        body = {}
    clean = {k: v for k, v in _whitelist(body, ("host", "attendees")).items() if v is not None}
    errors = _Errors(clean)
    _optional_bool(errors, clean, "host")
    attendees = clean.get("attendees")
    if attendees is not None:
        if not isinstance(attendees, list):
            errors.add("attendees", {"isArray": "attendees must be an array"})
        else:
            items = []
            children: list[dict[str, Any]] = []
            for index, item in enumerate(attendees):
                entry = _whitelist(item, ("email", "absent")) if isinstance(item, dict) else {}
                sub = _Errors(entry)
                if not isinstance(entry.get("email"), str) or not _EMAIL.match(entry["email"]):
                    sub.add("email", {"isEmail": "email must be an email"})
                if not isinstance(entry.get("absent"), bool):
                    sub.add("absent", {"isBoolean": "absent must be a boolean value"})
                if sub.items:
                    children.append(
                        {
                            "target": attendees,
                            "value": item,
                            "property": str(index),
                            "children": sub.items,
                        }
                    )
                items.append(entry)
            clean["attendees"] = items
            if children:
                errors.nested("attendees", children)
    errors.raise_if_any()
    return clean


def _reason_only(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        body = {}
    clean = {k: v for k, v in _whitelist(body, ("reason",)).items() if v is not None}
    errors = _Errors(clean)
    _optional_string(errors, clean, "reason")
    errors.raise_if_any()
    return clean


def clean_reassign(body: Any) -> dict[str, Any]:
    """Validate a reassign-to-user body (optional ``reason``)."""
    return _reason_only(body)


def clean_decline(body: Any) -> dict[str, Any]:
    """Validate a decline body (optional ``reason``)."""
    return _reason_only(body)


def clean_add_guests(body: Any) -> dict[str, Any]:
    """Validate an add-guests body: 1-10 ``Guest`` objects with a valid email each."""
    if not isinstance(body, dict):
        body = {}
    clean = _whitelist(body, ("guests",))
    errors = _Errors(clean)
    guests = clean.get("guests")
    if not isinstance(guests, list):
        errors.add("guests", {"isArray": "guests must be an array"})
    elif not guests:
        errors.add("guests", {"arrayMinSize": "guests must contain at least 1 elements"})
    elif len(guests) > 10:
        errors.add("guests", {"arrayMaxSize": "guests must contain no more than 10 elements"})
    else:
        items = []
        children: list[dict[str, Any]] = []
        for index, item in enumerate(guests):
            if not isinstance(item, dict):
                children.append(
                    {
                        "target": guests,
                        "value": item,
                        "property": str(index),
                        "children": [],
                        "constraints": {
                            "nestedValidation": (
                                "nested property guests must be either object or array"
                            )
                        },
                    }
                )
                continue
            person, sub = _person(
                item, ("email", "name", "timeZone", "phoneNumber", "language"), email_required=True
            )
            items.append(person)
            if sub:
                children.append(
                    {"target": guests, "value": item, "property": str(index), "children": sub}
                )
        clean["guests"] = items
        if children:
            errors.nested("guests", children)
    errors.raise_if_any()
    return clean


def clean_update_location(body: Any) -> dict[str, Any]:
    """Validate a location update body (one of the seven ``Update*Location`` objects)."""
    if not isinstance(body, dict):
        body = {}
    clean = _whitelist(body, ("location",))
    errors = _Errors(clean)
    _location(errors, clean, _UPDATE_LOCATION_FIELDS, update=True)
    errors.raise_if_any()
    return clean


def clean_legacy_create(body: Any) -> dict[str, Any]:
    """Validate a legacy (2024-04-15) create body: ``start``, ``eventTypeId``, ``responses``..."""
    if not isinstance(body, dict):
        body = {}
    fields = ("start", "end", "eventTypeId", "timeZone", "language", "metadata", "responses")
    clean = _whitelist(body, fields)
    errors = _Errors(clean)
    if not isinstance(clean.get("start"), str):
        errors.add("start", {"isString": "start must be a string"})
    if not _is_number(clean.get("eventTypeId")):
        errors.add(
            "eventTypeId",
            {"isNumber": "eventTypeId must be a number conforming to the specified constraints"},
        )
    time_zone = clean.get("timeZone")
    if not isinstance(time_zone, str) or not valid_time_zone(time_zone):
        errors.add("timeZone", {"isTimeZone": "timeZone must be a valid IANA time-zone"})
    if not isinstance(clean.get("language"), str):
        errors.add("language", {"isString": "language must be a string"})
    if not isinstance(clean.get("metadata"), dict):
        errors.add("metadata", {"isObject": "metadata must be an object"})
    responses = clean.get("responses")
    if not isinstance(responses, dict) or not isinstance(responses.get("name"), str):
        errors.add("responses", {"isObject": "responses must contain at least name and email"})
    errors.raise_if_any()
    return clean


def _split_ints(text: str) -> tuple[int, ...] | None:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(_INT.match(p) for p in parts):
        return None
    return tuple(int(p) for p in parts)


def parse_list_query(
    query: Mapping[str, str], *, allowed: frozenset[str]
) -> tuple[dict[str, Any], int, int]:
    """Validate the query of a bookings listing (API-NOTES §2.1).

    Args:
        query: The request's query parameters (last value wins for repeated keys).
        allowed: The parameter names this listing accepts; others are ignored (whitelist).

    Returns:
        ``(filters, take, skip)`` with ``filters`` holding parsed values by parameter name.

    Raises:
        ApiError: The ValidationPipe 400 for bad values (take outside 1..250, skip < 0, bad
            dates, statuses or sort orders).
    """
    target = {k: v for k, v in query.items() if k in allowed}
    errors = _Errors(target)
    out: dict[str, Any] = {}
    take = _page_number(errors, target, "take", 100, low=1, high=250)
    skip = _page_number(errors, target, "skip", 0, low=0, high=None)
    if "status" in target:
        statuses = tuple(s.strip() for s in target["status"].split(",") if s.strip())
        if not all(s in LIST_STATUSES for s in statuses):
            errors.add("status", {"isEnum": _enum_message("status", LIST_STATUSES)})
        out["status"] = statuses
    for prop in ("attendeeEmail", "attendeeName", "bookingUid"):
        if prop in target:
            value = target[prop].strip()
            if prop == "attendeeEmail":
                # An unencoded "+" arrives as a space; the server turns it back into "+".
                value = re.sub(r"\s+", "+", value)
            if value:
                out[prop] = value
    _query_ids(errors, target, out)
    for prop in _DATE_PARAMS:
        if prop in target:
            parsed = parse_iso8601(target[prop])
            if parsed is None:
                errors.add(prop, {"isIso8601": f"{prop} must be a valid ISO 8601 date string"})
            else:
                out[prop] = parsed[0]
    for prop in ("sortStart", "sortEnd", "sortCreated", "sortUpdatedAt"):
        if prop in target:
            if target[prop] not in ("asc", "desc"):
                errors.add(prop, {"isEnum": _enum_message(prop, ("asc", "desc"))})
            else:
                out[prop] = target[prop]
    errors.raise_if_any()
    return out, take, skip


_DATE_PARAMS = (
    "afterStart",
    "beforeEnd",
    "afterCreatedAt",
    "beforeCreatedAt",
    "afterUpdatedAt",
    "beforeUpdatedAt",
)


def _enum_message(prop: str, values: tuple[str, ...]) -> str:
    return f"{prop} must be one of the following values: " + ", ".join(values)


def _page_number(
    errors: _Errors,
    target: Mapping[str, str],
    prop: str,
    default: int,
    *,
    low: int,
    high: int | None,
) -> int:
    """``take`` or ``skip``: an integer within its bounds, or ``default`` when absent."""
    if prop not in target:
        return default
    raw = target[prop]
    too_low = f"{prop} must not be less than {low}"
    too_high = f"{prop} must not be greater than {high}"
    if not _INT.match(raw.strip()):
        constraints = {"max": too_high} if high is not None else {}
        constraints["min"] = too_low
        constraints["isNumber"] = f"{prop} must be a number conforming to the specified constraints"
        errors.add(prop, constraints)
        return default
    value = int(raw)
    if high is not None and value > high:
        errors.add(prop, {"max": too_high})
    elif value < low:
        errors.add(prop, {"min": too_low})
    return value


def _query_ids(errors: _Errors, target: Mapping[str, str], out: dict[str, Any]) -> None:
    for prop in ("eventTypeIds", "teamsIds", "userIds"):
        if prop in target and target[prop].strip():
            ids = _split_ints(target[prop])
            if ids is None:
                errors.add(
                    prop,
                    {
                        "isNumber": (
                            f"each value in {prop} must be a number conforming to the specified "
                            "constraints"
                        )
                    },
                )
            else:
                out[prop] = ids
    for prop in ("eventTypeId", "teamId"):
        if prop in target and target[prop].strip():
            if not _INT.match(target[prop].strip()):
                errors.add(prop, {"isInt": f"{prop} must be an integer number"})
            else:
                out[prop] = int(target[prop])


def parse_reference_type(query: Mapping[str, str]) -> str | None:
    """Validate the optional ``type`` filter of the references endpoints."""
    value = query.get("type")
    if value is None:
        return None
    if value not in REFERENCE_TYPES:
        errors = _Errors({"type": value})
        errors.add(
            "type",
            {"isEnum": "type must be one of the following values: " + ", ".join(REFERENCE_TYPES)},
        )
        errors.raise_if_any()
    return value


#: A callable that validates a request body and returns it whitelisted.
Cleaner = Callable[[Any], dict[str, Any]]


def clean_add_attendee(body: Any) -> dict[str, Any]:
    """Validate an add-attendee body: ``email``, ``name``, ``timeZone`` (and optional fields).

    Raises:
        ApiError: The ValidationPipe 400 for a missing or bad field.
    """
    if not isinstance(body, dict):
        body = {}
    person, children = _person(
        body, ("email", "name", "timeZone", "phoneNumber", "language"), email_required=True
    )
    errors = _Errors(person)
    errors.items.extend(children)
    if not isinstance(person.get("name"), str) and not any(
        c["property"] == "name" for c in children
    ):
        errors.add("name", {"isString": "name must be a string"})
    if "timeZone" not in person:
        errors.add("timeZone", {"isTimeZone": "timeZone must be a valid IANA time-zone"})
    errors.raise_if_any()
    return person


def clean_request_reschedule(body: Any) -> dict[str, Any]:
    """Validate a request-reschedule body (optional ``rescheduleReason``)."""
    if not isinstance(body, dict):
        body = {}
    clean = {k: v for k, v in _whitelist(body, ("rescheduleReason",)).items() if v is not None}
    errors = _Errors(clean)
    _optional_string(errors, clean, "rescheduleReason")
    errors.raise_if_any()
    return clean


def clean_send_code(body: Any) -> dict[str, Any]:
    """Validate a send-verification-code body (``email``; ``username``, ``language``, ...)."""
    if not isinstance(body, dict):
        body = {}
    fields = ("email", "username", "language", "isVerifyingEmail")
    clean = {k: v for k, v in _whitelist(body, fields).items() if v is not None}
    errors = _Errors(clean)
    _required_email(errors, clean)
    _optional_string(errors, clean, "username")
    _optional_string(errors, clean, "language")
    _optional_bool(errors, clean, "isVerifyingEmail")
    errors.raise_if_any()
    return clean


def clean_verify_code(body: Any) -> dict[str, Any]:
    """Validate a verify-code body: ``email`` and ``code``, both non-empty strings."""
    if not isinstance(body, dict):
        body = {}
    clean = _whitelist(body, ("email", "code"))
    errors = _Errors(clean)
    _required_email(errors, clean)
    if not isinstance(clean.get("code"), str) or not clean["code"]:
        errors.add(
            "code", {"isNotEmpty": "code should not be empty", "isString": _must_be_string("code")}
        )
    errors.raise_if_any()
    return clean


def parse_check_query(query: Mapping[str, str]) -> tuple[str, str | None]:
    """Validate the query of the email-verification check: ``email`` and ``userSessionEmail``."""
    target = {k: v for k, v in query.items() if k in ("email", "userSessionEmail")}
    errors = _Errors(target)
    _required_email(errors, target)
    session = target.get("userSessionEmail")
    if session is not None and not _EMAIL.match(session):
        errors.add("userSessionEmail", {"isEmail": "userSessionEmail must be an email"})
    errors.raise_if_any()
    return target["email"], session


def clean_report(body: Any) -> dict[str, Any]:
    """Validate an organization booking report: ``bookingUid``, ``reason``, ``reportType``."""
    clean, errors = _org_booking_body(body, ("bookingUid", "reason", "reportType"))
    _enum(errors, clean, "reason", REPORT_REASONS)
    _enum(errors, clean, "reportType", REPORT_TYPES)
    errors.raise_if_any()
    return clean


def clean_block(body: Any) -> dict[str, Any]:
    """Validate an organization booking block: ``bookingUid`` and ``blockType``."""
    clean, errors = _org_booking_body(body, ("bookingUid", "blockType"))
    _enum(errors, clean, "blockType", REPORT_TYPES)
    errors.raise_if_any()
    return clean


def _must_be_string(prop: str) -> str:
    return f"{prop} must be a string"


def _required_email(errors: _Errors, clean: dict[str, Any]) -> None:
    email = clean.get("email")
    if not isinstance(email, str) or not _EMAIL.match(email):
        errors.add("email", {"isEmail": "email must be an email"})


def _enum(errors: _Errors, clean: dict[str, Any], prop: str, values: tuple[str, ...]) -> None:
    if clean.get(prop) not in values:
        errors.add(prop, {"isEnum": _enum_message(prop, values)})


def _org_booking_body(body: Any, fields: tuple[str, ...]) -> tuple[dict[str, Any], _Errors]:
    if not isinstance(body, dict):
        body = {}
    clean = _whitelist(body, fields)
    errors = _Errors(clean)
    if not isinstance(clean.get("bookingUid"), str) or not clean["bookingUid"]:
        errors.add(
            "bookingUid",
            {
                "isNotEmpty": "bookingUid should not be empty",
                "isString": _must_be_string("bookingUid"),
            },
        )
    return clean, errors

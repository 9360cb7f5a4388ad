"""Serialisation: the emulator's rows turned into the JSON the live server writes.

:class:`Serialiser` follows ``output.service.ts`` (API-NOTES §2.2-§4, §13): the six booking
variants (regular, recurring, seated, recurring seated; ``seatUid`` is added by the handlers of
create and reschedule), the ``"unknown"`` host of a deleted user, the nulls the live server sends,
hidden seats, the attendee outputs with their integer ids, the legacy 2024-04-15 shape, and the
auxiliary outputs (calendar links, references, recordings, transcripts, conferencing sessions,
routing trace). Each booking's JSON is cached on its row until the store drops it. On a seated
event type the create's ``metadata`` lives on the seat, so it is sent on that seated attendee
(``attendees[i].metadata``), and the booking's own ``metadata`` stays ``{}``, as live.
Imports only the emulator's own leaf modules; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ._records import Attendee, Booking
from ._store import Store
from ._wire import format_ms

__all__ = ["Serialiser"]

_MINUTE = 60_000
_UNKNOWN_HOST: dict[str, Any] = {
    "id": "unknown",
    "name": "unknown",
    "email": "unknown",
    "displayEmail": "unknown",
    "username": "unknown",
}
_VIDEO_REFERENCES = {
    "integrations:daily": "daily_video",
    "integrations:google:meet": "google_video",
    "integrations:zoom": "zoom_video",
    "integrations:office365_video": "office365_video",
}


class Serialiser:
    """Turns the store's rows into response JSON.

    Args:
        store: The rows to read.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._hosts: dict[int | None, dict[str, Any]] = {}
        self._hosts_version = -1

    # -- bookings ------------------------------------------------------------------------------

    def host(self, user_id: int | None) -> dict[str, Any]:
        """The ``BookingHost`` of a user, or the live server's ``"unknown"`` host."""
        if self._hosts_version != self.store.users_version:
            self._hosts.clear()
            self._hosts_version = self.store.users_version
        cached = self._hosts.get(user_id)
        if cached is not None:
            return cached
        user = self.store.users.get(user_id) if user_id is not None else None
        out: dict[str, Any]
        if user is None:
            out = dict(_UNKNOWN_HOST)
        else:
            out = {
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "displayEmail": user.email,
                "username": user.username or "unknown",
                "timeZone": user.time_zone,
            }
        self._hosts[user_id] = out
        return out

    def output(self, booking: Booking) -> dict[str, Any]:
        """The JSON shape the 2024-08-13 API sends for a booking (cached until it changes).

        The variant follows the booking: seated bookings get ``SeatedAttendee`` items and no
        top-level ``bookingFieldsResponses``/``guests``; recurring ones add ``recurringBookingUid``.
        The returned dict is shared: never mutate it.
        """
        cached = booking.cache
        if cached is not None:
            return cached
        out = self._head(booking)
        if booking.seated:
            out["attendees"] = [_seated_attendee(a, booking) for a in booking.attendees]
        else:
            out["attendees"] = [_attendee(a) for a in booking.attendees]
            out.update(_fields(booking.responses))
        if booking.recurring_event_id is not None:
            out["recurringBookingUid"] = booking.recurring_event_id
        booking.cache = out
        return out

    def _head(self, b: Booking) -> dict[str, Any]:
        """Every field the six variants share, in the live server's order."""
        event_type = self.store.event_types.get(b.event_type_id) if b.event_type_id else None
        out: dict[str, Any] = {
            "id": b.id,
            "uid": b.uid,
            "title": b.title,
            "description": b.description,
            "hosts": [self.host(b.user_id)],
            "status": b.status.lower(),
            "cancellationReason": b.cancellation_reason or "",
            "cancelledByEmail": b.cancelled_by or "",
        }
        reason = b.responses.get("rescheduledReason")
        for key, value in (
            ("reschedulingReason", reason),
            ("rescheduledByEmail", b.rescheduled_by),
            ("rescheduledFromUid", b.from_reschedule),
            ("rescheduledToUid", b.rescheduled_to),
        ):
            if value is not None:
                out[key] = value
        out["start"] = format_ms(b.start)
        out["end"] = format_ms(b.end)
        out["duration"] = (b.end - b.start) // _MINUTE
        out["eventTypeId"] = b.event_type_id
        # A deleted event type nulls the relation (the live server then sends null).
        out["eventType"] = (
            {"id": event_type.id, "slug": event_type.slug} if event_type is not None else None
        )
        out["meetingUrl"] = b.location
        out["location"] = b.location
        out["absentHost"] = b.no_show_host
        out["createdAt"] = format_ms(b.created)
        out["updatedAt"] = format_ms(b.updated) if b.updated is not None else None
        out["metadata"] = dict(b.metadata)
        out["rating"] = b.rating
        out["icsUid"] = b.ical_uid
        return out

    def visible_output(self, booking: Booking, *, privileged: bool) -> dict[str, Any]:
        """The output as a given caller sees it: hidden seated attendees become ``[]``."""
        out = self.output(booking)
        if booking.seated and not privileged:
            event_type = self.store.event_types.get(booking.event_type_id or -1)
            if event_type is not None and not event_type.seats_show_attendees:
                return {**out, "attendees": []}
        return out

    # -- attendees ------------------------------------------------------------------------------

    @staticmethod
    def attendee_with_id(a: Attendee) -> dict[str, Any]:
        """``BookingAttendeeWithId_2024_08_13``: the attendee listing's item."""
        return {**_attendee(a), "id": a.id}

    @staticmethod
    def added_attendee(a: Attendee, booking: Booking) -> dict[str, Any]:
        """``BookingAttendeeOutput_2024_08_13``: the answer of add attendee."""
        return {**_attendee(a), "id": a.id, "bookingId": booking.id}

    @staticmethod
    def removed_attendee(a: Attendee, booking: Booking) -> dict[str, Any]:
        """``RemovedAttendeeOutput_2024_08_13``: the answer of remove attendee."""
        return {
            "id": a.id,
            "bookingId": booking.id,
            "name": a.name,
            "email": a.email,
            "timeZone": a.time_zone,
        }

    # -- the legacy controller ---------------------------------------------------------------

    def legacy_output(self, b: Booking) -> dict[str, Any]:
        """The shape of the legacy 2024-04-15 controller: Prisma row names, upper-case status."""
        user = self.store.users.get(b.user_id) if b.user_id is not None else None
        event_type = (
            self.store.event_types.get(b.event_type_id) if b.event_type_id is not None else None
        )
        return {
            "id": b.id,
            "uid": b.uid,
            "userId": b.user_id,
            "eventTypeId": b.event_type_id,
            "title": b.title,
            "description": b.description,
            "customInputs": {},
            "responses": dict(b.responses),
            "startTime": format_ms(b.start),
            "endTime": format_ms(b.end),
            "attendees": [
                {
                    "id": a.id,
                    "email": a.email,
                    "name": a.name,
                    "timeZone": a.time_zone,
                    "locale": a.locale,
                    "bookingId": b.id,
                    "noShow": a.no_show,
                }
                for a in b.attendees
            ],
            "location": b.location,
            "createdAt": format_ms(b.created),
            "updatedAt": format_ms(b.updated) if b.updated is not None else None,
            "status": b.status,
            "paid": False,
            "cancellationReason": b.cancellation_reason,
            "rejectionReason": b.rejection_reason,
            "rescheduled": b.rescheduled,
            "fromReschedule": b.from_reschedule,
            "recurringEventId": b.recurring_event_id,
            "metadata": dict(b.metadata),
            "iCalUID": b.ical_uid,
            "rating": b.rating,
            "noShowHost": b.no_show_host,
            "user": (
                None
                if user is None
                else {
                    "id": user.id,
                    "name": user.name,
                    "email": user.email,
                    "username": user.username,
                    "timeZone": user.time_zone,
                }
            ),
            "eventType": (
                None
                if event_type is None
                else {"id": event_type.id, "slug": event_type.slug, "title": event_type.title}
            ),
        }

    # -- auxiliary outputs -------------------------------------------------------------------------

    def calendar_links(self, b: Booking) -> list[dict[str, str]]:
        """'Add to calendar' links (Google, Office, Outlook, ICS) built from the booking."""
        start, end = format_ms(b.start), format_ms(b.end)
        compact = start.replace("-", "").replace(":", "").replace(".000", "")
        compact_end = end.replace("-", "").replace(":", "").replace(".000", "")
        title = quote(b.title)
        location = quote(b.location or "")
        description = quote(b.description or "")
        ics = (
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Cal.com//EN\nBEGIN:VEVENT\n"
            f"UID:{b.ical_uid or b.uid}\nDTSTART:{compact}\nDTEND:{compact_end}\n"
            f"SUMMARY:{b.title}\nLOCATION:{b.location or ''}\nEND:VEVENT\nEND:VCALENDAR"
        )
        return [
            {
                "label": "Google Calendar",
                "link": "https://calendar.google.com/calendar/r/eventedit"
                f"?dates={compact}/{compact_end}&text={title}&details={description}"
                f"&location={location}",
            },
            {
                "label": "Microsoft Office",
                "link": "https://outlook.office.com/calendar/0/deeplink/compose"
                f"?startdt={quote(start)}&enddt={quote(end)}&subject={title}"
                f"&body={description}&location={location}",
            },
            {
                "label": "Microsoft Outlook",
                "link": "https://outlook.live.com/calendar/0/deeplink/compose"
                f"?startdt={quote(start)}&enddt={quote(end)}&subject={title}"
                f"&body={description}&location={location}",
            },
            {"label": "ICS", "link": "data:text/calendar," + quote(ics)},
        ]

    def references(self, b: Booking) -> list[dict[str, Any]]:
        """The calendar and video references an accepted booking would have."""
        if b.status not in ("ACCEPTED", "AWAITING_HOST"):
            return []
        host = self.store.users.get(b.user_id) if b.user_id is not None else None
        refs: list[dict[str, Any]] = [
            {
                "type": "google_calendar",
                "eventUid": f"{b.uid.lower()}gcal",
                "destinationCalendarId": host.email if host is not None else None,
                "id": b.id * 10 + 1,
            }
        ]
        video = _VIDEO_REFERENCES.get(b.location or "")
        if video is not None:
            refs.append(
                {
                    "type": video,
                    "eventUid": _room(b),
                    "destinationCalendarId": None,
                    "id": b.id * 10 + 2,
                }
            )
        return refs

    def _video_past(self, b: Booking) -> bool:
        return (
            b.location == "integrations:daily"
            and b.status == "ACCEPTED"
            and b.end <= self.store.now_ms()
        )

    def recordings(self, b: Booking) -> list[dict[str, Any]]:
        """Cal Video recordings: one per past, accepted Cal Video booking."""
        if not self._video_past(b):
            return []
        seconds = (b.end - b.start) // 1000
        return [
            {
                "id": f"rec-{b.id}",
                "roomName": _room(b),
                "startTs": b.start // 1000,
                "status": "finished",
                "maxParticipants": len(b.attendees) + 1,
                "duration": seconds - 60,
                "shareToken": f"share-{b.uid[:10]}",
                "downloadLink": f"https://cal-video-recordings.example.com/{_room(b)}/rec-{b.id}.mp4",
                "error": None,
            }
        ]

    def transcripts(self, b: Booking) -> list[str]:
        """Transcript download links of a past, accepted Cal Video booking."""
        if not self._video_past(b):
            return []
        return [f"https://cal-video-transcripts.example.com/{_room(b)}/transcript-{b.id}.vtt"]

    def sessions(self, b: Booking) -> list[dict[str, Any]]:
        """Cal Video meeting sessions of a past, accepted Cal Video booking."""
        if not self._video_past(b):
            return []
        host = self.store.users.get(b.user_id) if b.user_id is not None else None
        start_s = b.start // 1000
        seconds = (b.end - b.start) // 1000
        participants: list[dict[str, Any]] = [
            {
                "userId": str(host.id) if host is not None else None,
                "userName": host.name if host is not None else None,
                "joinTime": start_s,
                "duration": seconds,
            }
        ]
        participants.extend(
            {
                "userId": None,
                "userName": a.name or None,
                "joinTime": start_s + 30,
                "duration": seconds - 30,
            }
            for a in b.attendees
        )
        return [
            {
                "id": f"session-{b.id}",
                "room": _room(b),
                "startTime": start_s,
                "duration": seconds,
                "ongoing": False,
                "maxParticipants": len(participants),
                "participants": participants,
            }
        ]

    def routing_trace(self, b: Booking) -> dict[str, Any]:
        """How the booking was routed: empty unless it was created with ``routing``."""
        routing = b.routing
        if routing is None:
            return {"steps": [], "groups": [], "formSubmission": None}
        host = self.host(b.user_id)
        response_id = routing.get("responseId")
        steps = [
            {
                "message": f"Routing form response {response_id} received",
                "round": "Routing form",
                "domain": "routing_form",
                "step": "form_response_received",
                "timestamp": b.created,
                "data": {"responseId": response_id},
            },
            {
                "message": f"Host selected: {host['name']}",
                "round": "Host selection",
                "domain": "host_selection",
                "step": "host_selected",
                "timestamp": b.created,
                "data": {"userId": host["id"], "teamMemberIds": routing.get("teamMemberIds")},
            },
        ]
        groups = [
            {"round": step["round"], "domain": step["domain"], "steps": [step]} for step in steps
        ]
        submission = {
            "form": {"name": "Routing form"},
            "responses": [
                {"fieldId": "responseId", "label": "Response", "displayValue": str(response_id)}
            ],
        }
        return {"steps": steps, "groups": groups, "formSubmission": submission}


def _room(b: Booking) -> str:
    return f"cal-video-{b.uid[:12].lower()}"


def _fields(responses: dict[str, Any]) -> dict[str, Any]:
    """``guests`` and ``bookingFieldsResponses`` of a booking that is not seated."""
    out: dict[str, Any] = {}
    guests = responses.get("guests")
    if guests is not None:
        out["guests"] = list(guests)
    fields = dict(responses)
    fields["displayEmail"] = responses.get("email", "")
    if guests is not None:
        fields["displayGuests"] = list(guests)
    out["bookingFieldsResponses"] = fields
    return out


def _attendee(a: Attendee) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": a.name,
        "email": a.email,
        "displayEmail": a.email,
        "timeZone": a.time_zone,
        "language": a.locale,
        "absent": a.no_show,
    }
    if a.phone is not None:
        out["phoneNumber"] = a.phone
    return out


def _seated_attendee(a: Attendee, booking: Booking) -> dict[str, Any]:
    responses = {k: v for k, v in (a.seat_responses or {}).items() if k != "email"}
    out = _attendee(a)
    out.pop("phoneNumber", None)
    out["seatUid"] = a.seat_uid
    out["createdAt"] = format_ms(a.created if a.created is not None else booking.created)
    out["bookingFieldsResponses"] = responses
    out["metadata"] = dict(a.seat_metadata or {})
    return out

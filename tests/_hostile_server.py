"""A hostile Cal.com bookings server on raw asyncio streams, for the reliability suite.

``HostileServer`` speaks just enough HTTP/1.1 and of the Cal.com v2 bookings API for the SDK's
decoders (create, get, list with pagination, cancel, decline, confirm, reschedule, add guests,
mark-absent, automatic reassign), keeps real state, and keeps a :class:`Ledger` of every write it
applied: the operation, the booking, the request body, the connection it came on and whether
that connection was fresh (this was its first request). It is written on ``asyncio`` streams,
not on aiohttp's server, because it must be able to answer with malformed HTTP.

Each request gets a fault, or none. Faults are small functions in one table (:data:`FAULTS`),
drawn per request with the weights the test gives, or scripted by a test (:meth:`script`,
:meth:`always`). A draw is deterministic: it comes from ``random.Random`` seeded with the
server's seed, the request's identity (method, target, body) and how many times that identity
was seen, so the same workload gets the same faults whatever order concurrent requests arrive
in. Faults cover the connection (unsolicited extra responses on idle keep-alive connections,
stale keep-alive closes), the answer (drops, cut bodies, wrong Content-Length, slow headers and
bodies, stalls, malformed status lines and headers, bad chunked encoding, corrupt gzip, gzip
bombs, huge bodies, HTML, error envelopes, wrong types, redirects to another port) and the
status (429 with sane and absurd rate-limit values, ``Retry-After``, 498, HTML 5xx pages).

The server can be killed and restarted on the same port with its state and ledger kept. A
second listener, the redirect sink, records anything that arrives there (nothing may).

This is test code: it imports the standard library, orjson and the suite's pagination helper
(``_endpoint_helpers.pagination_json``), nothing of the SDK itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import random
import socket
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson
from _endpoint_helpers import pagination_json

HOST = "127.0.0.1"
#: The first instant of the server's calendar; bookings start at whole hours after it.
EPOCH = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
#: Hosts of the round-robin event type that automatic reassign rotates through.
HOSTS = (101, 102, 103)
EVENT_TYPE = {"id": 7, "slug": "hostile-intro"}
MAX_HEAD = 64 * 1024
MB = 1024 * 1024
#: The piece of every streamed huge body (one object, reused: streaming allocates nothing).
CHUNK = b"x" * (64 * 1024)

REASONS = {
    200: "OK",
    201: "Created",
    302: "Found",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    498: "Token Expired",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
CODES = {
    400: "BadRequestException",
    401: "UnauthorizedException",
    403: "ForbiddenException",
    404: "NotFoundException",
    429: "ThrottlerException",
    498: "TokenExpiredException",
}

#: Operations that make something new each time they run: never to be applied twice.
UNSAFE = frozenset({"create", "reschedule", "add_guests", "reassign"})

# --- HTTP on raw streams ---------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request as the server read it.

    Attributes:
        method: The method.
        target: The request target as sent (path and query).
        path: The percent-decoded path.
        query: The query parameters.
        headers: Header values by lower-case name.
        body: The body bytes.
        conn: The number of the connection it came on.
        fresh: Whether it was the first request on that connection.
        seen: How many requests with the same method, target and body came before it.
    """

    method: str
    target: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    conn: int
    fresh: bool
    seen: int

    @property
    def key(self) -> str:
        """The request's identity: its retries share it."""
        return f"{self.method} {self.target} {self.body.decode('utf-8', 'replace')}"

    @functools.cached_property
    def json(self) -> Any:
        """The body as JSON (``None`` when empty or not JSON)."""
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None


class BadRequestLine(Exception):
    """The bytes that arrived are not an HTTP/1.1 request."""


async def read_request(reader: asyncio.StreamReader, conn: int, number: int) -> Request | None:
    """Read one request; ``None`` at a clean end of the stream.

    Raises:
        BadRequestLine: Not HTTP (a TLS handshake, say).
    """
    first = await reader.read(1)
    if not first:
        return None
    if not first.isalpha():
        raise BadRequestLine(first.hex())
    head = first + await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, value in (line.split(":", 1) for line in lines[1:])
        }
        length = int(headers.get("content-length", "0"))
    except ValueError as problem:
        raise BadRequestLine(lines[0]) from problem
    body = await reader.readexactly(length) if length else b""
    parts = urlsplit(target)
    return Request(
        method=method,
        target=target,
        path=unquote(parts.path),
        query=dict(parse_qsl(parts.query)),
        headers=headers,
        body=body,
        conn=conn,
        fresh=number == 0,
        seen=0,
    )


@dataclass(slots=True)
class Reply:
    """An answer before it is put on the wire."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Reply:
        return cls(status, orjson.dumps(payload), list(headers.items()))

    def head(self, *, length: int | None = None, extra: Iterable[tuple[str, str]] = ()) -> bytes:
        """The status line and headers; ``length=None`` means the body's length."""
        lines = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Unknown')}"]
        lines.append(f"Content-Type: {self.content_type}")
        lines.extend(f"{name}: {value}" for name, value in (*self.headers, *extra))
        if not any(name.lower() == "transfer-encoding" for name, _ in extra):
            lines.append(f"Content-Length: {len(self.body) if length is None else length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def wire(self) -> bytes:
        """The whole message, well formed."""
        return self.head() + self.body


def error_envelope(status: int, message: str, path: str) -> dict[str, Any]:
    """Cal.com's error envelope (API-NOTES §7): ``path`` is the request target it answers."""
    return {
        "status": "error",
        "timestamp": "2026-03-02T12:00:00.000Z",
        "path": path,
        "error": {
            "code": CODES.get(status, "HttpException"),
            "message": message,
            "details": {"message": message, "statusCode": status},
        },
    }


def error_reply(status: int, message: str, path: str, **headers: str) -> Reply:
    return Reply.json(status, error_envelope(status, message, path), **headers)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- the state and the ledger ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One write the server applied.

    Attributes:
        operation: ``create``, ``reschedule``, ``add_guests``, ``reassign``, ``cancel``,
            ``decline``, ``confirm`` or ``mark_absent``.
        subject: What the request named: the attendee's email for a create, the guest's email
            for add-guests, the booking uid otherwise.
        uid: The booking written (the new one for a create or a reschedule).
        body: The request body as JSON.
        conn: The connection the request came on.
        fresh: Whether that connection was fresh (the request was its first).
        request_id: The request's ``X-Request-Id``.
    """

    operation: str
    subject: str
    uid: str
    body: Any
    conn: int
    fresh: bool
    request_id: str | None


class Ledger(list[LedgerEntry]):
    """Every applied write, in order, also indexed by (operation, subject)."""

    def __init__(self) -> None:
        super().__init__()
        self._index: dict[tuple[str, str], list[LedgerEntry]] = {}

    def append(self, entry: LedgerEntry) -> None:
        super().append(entry)
        self._index.setdefault((entry.operation, entry.subject), []).append(entry)

    def of(self, operation: str, subject: str) -> list[LedgerEntry]:
        return list(self._index.get((operation, subject), ()))


Handler = Callable[["Store", Request, str], Reply]


class Store:
    """Bookings as the API shows them (JSON objects), changed by the write handlers."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.bookings: dict[str, dict[str, Any]] = {}
        self.ledger = Ledger()
        self._attending: dict[str, list[str]] = {}  # attendee email -> uids, for listings
        self._ids = 0

    def add_booking(
        self, email: str, *, status: str = "accepted", hour: int | None = None, host: int = 101
    ) -> str:
        """Put a booking in the state (not a write: the ledger does not see it)."""
        self._ids += 1
        start = EPOCH + timedelta(hours=hour if hour is not None else self._ids)
        uid = f"seed-{self._ids}"
        attendee = {"name": email.split("@")[0], "email": email, "timeZone": "Europe/Paris"}
        self._put(self._booking(uid, iso(start), attendee, {}, host, status))
        return uid

    def _booking(
        self,
        uid: str,
        start: str,
        attendee: Mapping[str, Any],
        metadata: Mapping[str, Any],
        host: int,
        status: str,
    ) -> dict[str, Any]:
        self._ids += 1
        begin = datetime.fromisoformat(start.replace("Z", "+00:00"))
        email = attendee["email"]
        return {
            "id": self._ids,
            "uid": uid,
            "title": f"Intro with {attendee.get('name', '')}",
            "description": None,
            "hosts": [self._host(host)],
            "status": status,
            "cancellationReason": "",
            "cancelledByEmail": "",
            "start": iso(begin),
            "end": iso(begin + timedelta(minutes=30)),
            "duration": 30,
            "eventTypeId": EVENT_TYPE["id"],
            "eventType": dict(EVENT_TYPE),
            "meetingUrl": "integrations:daily",
            "location": "integrations:daily",
            "absentHost": False,
            "createdAt": iso(EPOCH),
            "updatedAt": None,
            "metadata": dict(metadata),
            "rating": None,
            "icsUid": None,
            "attendees": [
                {
                    "name": attendee.get("name", ""),
                    "email": email,
                    "displayEmail": email,
                    "timeZone": attendee.get("timeZone", "UTC"),
                    "language": "en",
                    "absent": False,
                }
            ],
            "guests": [],
            "bookingFieldsResponses": {"name": attendee.get("name", ""), "email": email},
        }

    def _put(self, booking: dict[str, Any]) -> None:
        self.bookings[booking["uid"]] = booking
        for attendee in booking["attendees"]:
            self._attending.setdefault(attendee["email"], []).append(booking["uid"])

    @staticmethod
    def _host(host: int) -> dict[str, Any]:
        return {
            "id": host,
            "name": f"Host {host}",
            "email": f"host{host}@hostile.example",
            "displayEmail": f"host{host}@hostile.example",
            "username": f"host{host}",
            "timeZone": "UTC",
        }

    def new_uid(self, request: Request) -> str:
        """A uid fixed by the seed and the request (so a run is repeatable)."""
        text = f"{self.seed}|{request.key}|{request.seen}"
        return "hb-" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def record(self, operation: str, subject: str, uid: str, request: Request) -> None:
        self.ledger.append(
            LedgerEntry(
                operation=operation,
                subject=subject,
                uid=uid,
                body=request.json,
                conn=request.conn,
                fresh=request.fresh,
                request_id=request.headers.get("x-request-id"),
            )
        )

    def booking(self, uid: str) -> dict[str, Any] | None:
        return self.bookings.get(uid)

    # The handlers: each takes the request and the uid in its path ("" for none) and returns the
    # answer, recording what it applied.

    def create(self, request: Request, _uid: str) -> Reply:
        body = request.json
        if not isinstance(body, dict) or "start" not in body or "attendee" not in body:
            return error_reply(400, "start and attendee are required", request.target)
        uid = self.new_uid(request)
        booking = self._booking(
            uid, body["start"], body["attendee"], body.get("metadata") or {}, HOSTS[0], "accepted"
        )
        self._put(booking)
        self.record("create", body["attendee"]["email"], uid, request)
        return Reply.json(201, {"status": "success", "data": booking})

    def get(self, _request: Request, uid: str) -> Reply:
        return Reply.json(200, {"status": "success", "data": self.bookings[uid]})

    def list(self, request: Request, _uid: str) -> Reply:
        email = request.query.get("attendeeEmail")
        take = int(request.query.get("take", "100"))
        skip = int(request.query.get("skip", "0"))
        uids = self.bookings if email is None else self._attending.get(email, ())
        items = [self.bookings[uid] for uid in uids]
        return Reply.json(
            200,
            {
                "status": "success",
                "data": items[skip : skip + take],
                "pagination": pagination_json(len(items), take, skip),
            },
        )

    def cancel(self, request: Request, uid: str) -> Reply:
        booking = self.bookings[uid]
        if booking["status"] in ("cancelled", "rejected"):
            return error_reply(
                400, f"Can't cancel booking with uid={uid}: cancelled already.", request.target
            )
        booking["status"] = "cancelled"
        booking["cancellationReason"] = (request.json or {}).get("cancellationReason", "")
        self.record("cancel", uid, uid, request)
        return Reply.json(200, {"status": "success", "data": booking})

    def _settle_pending(self, request: Request, uid: str, operation: str, status: str) -> Reply:
        booking = self.bookings[uid]
        if booking["status"] != "pending":
            return error_reply(400, f"Booking with uid={uid} is not pending.", request.target)
        booking["status"] = status
        self.record(operation, uid, uid, request)
        return Reply.json(200, {"status": "success", "data": booking})

    def confirm(self, request: Request, uid: str) -> Reply:
        return self._settle_pending(request, uid, "confirm", "accepted")

    def decline(self, request: Request, uid: str) -> Reply:
        return self._settle_pending(request, uid, "decline", "rejected")

    def reschedule(self, request: Request, uid: str) -> Reply:
        old = self.bookings[uid]
        body = request.json
        if not isinstance(body, dict) or "start" not in body:
            return error_reply(400, "start is required", request.target)
        if old["status"] in ("cancelled", "rejected"):
            return error_reply(
                400, f"Can't reschedule booking with uid={uid}: it is cancelled.", request.target
            )
        new_uid = self.new_uid(request)
        new = self._booking(
            new_uid, body["start"], old["attendees"][0], old["metadata"], HOSTS[0], "accepted"
        )
        new["rescheduledFromUid"] = uid
        old["status"] = "cancelled"
        old["rescheduledToUid"] = new_uid
        self._put(new)
        self.record("reschedule", uid, new_uid, request)
        return Reply.json(201, {"status": "success", "data": new})

    def add_guests(self, request: Request, uid: str) -> Reply:
        booking = self.bookings[uid]
        guests = (request.json or {}).get("guests") or []
        if booking["status"] in ("cancelled", "rejected") or not guests:
            return error_reply(
                400, f"Guests can't be added to booking with uid={uid}.", request.target
            )
        for guest in guests:
            booking["attendees"].append(
                {
                    "name": guest.get("name", ""),
                    "email": guest["email"],
                    "displayEmail": guest["email"],
                    "timeZone": "UTC",
                    "language": "en",
                    "absent": False,
                }
            )
            booking["guests"].append(guest["email"])
            self._attending.setdefault(guest["email"], []).append(uid)
        self.record("add_guests", guests[0]["email"], uid, request)
        return Reply.json(200, {"status": "success", "data": booking})

    def mark_absent(self, request: Request, uid: str) -> Reply:
        booking = self.bookings[uid]
        body = request.json or {}
        absent = {item["email"]: item["absent"] for item in body.get("attendees") or []}
        for attendee in booking["attendees"]:
            attendee["absent"] = absent.get(attendee["email"], attendee["absent"])
        if "host" in body:
            booking["absentHost"] = body["host"]
        self.record("mark_absent", uid, uid, request)
        return Reply.json(200, {"status": "success", "data": booking})

    def reassign(self, request: Request, uid: str) -> Reply:
        booking = self.bookings[uid]
        if booking["status"] in ("cancelled", "rejected"):
            return error_reply(
                400, f"Booking with uid={uid} is cancelled or rejected.", request.target
            )
        current = booking["hosts"][0]["id"]
        host = HOSTS[(HOSTS.index(current) + 1) % len(HOSTS)] if current in HOSTS else HOSTS[0]
        booking["hosts"] = [self._host(host)]
        self.record("reassign", uid, uid, request)
        chosen = self._host(host)
        del chosen["username"], chosen["timeZone"]
        return Reply.json(
            200, {"status": "success", "data": {"bookingUid": uid, "reassignedTo": chosen}}
        )


#: (method, what the path ends with after the uid, operation, handler). ``""`` is the booking.
ROUTES: dict[tuple[str, str], tuple[str, Handler]] = {
    ("GET", ""): ("get", Store.get),
    ("POST", "cancel"): ("cancel", Store.cancel),
    ("POST", "decline"): ("decline", Store.decline),
    ("POST", "confirm"): ("confirm", Store.confirm),
    ("POST", "reschedule"): ("reschedule", Store.reschedule),
    ("POST", "guests"): ("add_guests", Store.add_guests),
    ("POST", "mark-absent"): ("mark_absent", Store.mark_absent),
    ("POST", "reassign"): ("reassign", Store.reassign),
}


def route(request: Request) -> tuple[str, str, Handler | None]:
    """The operation a request calls, the uid in its path, and the handler (``None``: 404)."""
    path = request.path.rstrip("/")
    if path == "/v2/bookings":
        if request.method == "POST":
            return "create", "", Store.create
        return "list", "", Store.list
    parts = path.split("/")
    if len(parts) < 4 or parts[:3] != ["", "v2", "bookings"]:
        return "unknown", "", None
    uid, tail = parts[3], "/".join(parts[4:])
    operation, handler = ROUTES.get((request.method, tail), ("unknown", None))
    return operation, uid, handler


def subject_of(request: Request, operation: str, uid: str) -> str:
    """What a request names, as the ledger keys it (see :class:`LedgerEntry`)."""
    body = request.json if isinstance(request.json, dict) else {}
    if operation == "create":
        return str((body.get("attendee") or {}).get("email", ""))
    if operation == "add_guests":
        guests = body.get("guests") or [{}]
        return str(guests[0].get("email", ""))
    if operation == "list":
        return request.query.get("attendeeEmail", "")
    return uid


# --- one exchange and the faults -------------------------------------------------------------


@dataclass(eq=False)
class Connection:
    """One client connection as the server sees it."""

    number: int
    writer: asyncio.StreamWriter
    requests: int = 0
    #: Close the connection when no request starts within this many seconds (None: never).
    idle_limit: float | None = None
    #: The last well-formed answer sent on it (what an unsolicited duplicate repeats).
    last_answer: bytes = b""
    #: The target of the last request answered on it (what a stale error says it answers).
    last_target: str = "/v2/bookings"
    #: Fault kinds that hit requests on it, in order.
    history: list[str] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.writer.transport.is_closing()


@dataclass(eq=False)
class Exchange:
    """One request and what a fault may do with it: apply it, answer it, or break the wire."""

    server: HostileServer
    conn: Connection
    request: Request
    operation: str
    uid: str
    handler: Handler | None
    rng: random.Random
    keep_alive: bool = True

    def apply(self) -> Reply:
        """Carry the request out (the ledger records a write) and return its proper answer."""
        store = self.server.store
        if self.handler is None:
            reply = error_reply(
                404, f"Cannot {self.request.method} {self.request.path}", self.request.target
            )
        elif self.uid and self.uid not in store.bookings:
            reply = error_reply(
                404,
                f"Booking with uid={self.uid} was not found in the database",
                self.request.target,
            )
        else:
            reply = self.handler(store, self.request, self.uid)
        reply.headers.extend(GENEROUS_LIMIT)
        reply.headers.extend(self.stamp())
        return reply

    def stamp(self) -> list[tuple[str, str]]:
        """The header every answer carries: the request's own ``X-Request-Id``, echoed."""
        request_id = self.request.headers.get("x-request-id")
        return [("X-Request-Id", request_id)] if request_id else []

    def reply_with(self, reply: Reply) -> None:
        """Send ``reply`` (with the usual headers) as the answer, whatever was applied."""
        reply.headers.extend(self.stamp())
        self.send(reply.wire())

    def answer(self, reply: Reply) -> None:
        wire = reply.wire()
        self.conn.last_answer = wire
        self.conn.last_target = self.request.target
        self.send(wire)

    def send(self, data: bytes) -> None:
        self.conn.writer.write(data)

    async def drain(self) -> None:
        await self.conn.writer.drain()

    async def trickle(self, data: bytes, seconds: float) -> None:
        """Send ``data`` in pieces spread over ``seconds``."""
        pieces = 12
        step = max(1, -(-len(data) // pieces))
        for start in range(0, len(data), step):
            self.send(data[start : start + step])
            await self.drain()
            await asyncio.sleep(seconds / pieces)

    async def send_and_hang_up(self, data: bytes) -> None:
        self.send(data)
        await self.drain()
        self.hang_up()

    def hang_up(self) -> None:
        self.keep_alive = False
        self.conn.writer.transport.abort()


Fault = Callable[[Exchange], Awaitable[None]]

#: The rate-limit report on every answer the handlers give: far from any limit.
GENEROUS_LIMIT = (
    ("X-RateLimit-Limit-Default", "100000"),
    ("X-RateLimit-Remaining-Default", "99999"),
    ("X-RateLimit-Reset-Default", "60"),
)


async def normal(x: Exchange) -> None:
    x.answer(x.apply())


# Connection faults: the request is answered well; the connection then misbehaves.


async def unsolicited_now(x: Exchange) -> None:
    """An extra response right behind the answer, on a connection left open for reuse."""
    x.answer(x.apply())
    x.send(x.server.stale_answer(x))


async def unsolicited_later(x: Exchange) -> None:
    """An extra response written a little later, while the connection sits idle in the pool."""
    x.answer(x.apply())
    x.server.later(x.conn, x.rng.uniform(0.01, 0.3), x.server.stale_answer(x))


async def unsolicited_ahead(x: Exchange) -> None:
    """An extra response that lands after the client checked its pooled connection and sent
    this request: it arrives ahead of this request's own answer (the request is applied). What
    ``unsolicited_later`` does when its timing is unlucky, made certain (targeted use)."""
    x.send(x.server.stale_answer(x))
    x.answer(x.apply())


async def close_after_answer(x: Exchange) -> None:
    """A keep-alive answer (no ``Connection: close``), then the connection is closed at once.

    The FIN goes out right behind the answer (in the same step), so it has reached the client
    before the client has even read the answer: a client that looks before it writes can see
    the connection is closed, whatever the timing of the event loop.
    """
    x.answer(x.apply())
    x.conn.writer.write_eof()
    x.keep_alive = False


async def idle_close(x: Exchange) -> None:
    """The answer, then the connection closes after a short idle time (shorter than the SDK's)."""
    x.answer(x.apply())
    x.conn.idle_limit = x.rng.uniform(0.02, 0.5)


# Faults before anything is applied.


async def drop_before(x: Exchange) -> None:
    x.hang_up()


async def stall(x: Exchange) -> None:
    """Say nothing for longer than any client timeout, then hang up; nothing applied."""
    await asyncio.sleep(x.server.stall_seconds)
    x.hang_up()


async def rate_limited(x: Exchange) -> None:
    x.reply_with(
        error_reply(
            429,
            "CustomThrottlerGuard - Too many requests. Please try again later.",
            x.request.target,
            **{"X-RateLimit-Limit-Default": "120", "X-RateLimit-Remaining-Default": "0"},
            **{"X-RateLimit-Reset-Default": "1"},
        )
    )


#: Rate-limit values no server should send: huge, negative, not numbers, zero limits.
ABSURD_LIMITS = (
    {"X-RateLimit-Reset-Default": "99999999999", "X-RateLimit-Limit-Default": "0"},
    {"X-RateLimit-Reset-Default": "-5", "X-RateLimit-Remaining-Default": "-1"},
    {"X-RateLimit-Reset-Default": "NaN", "X-RateLimit-Limit-Default": "abc"},
    {"X-RateLimit-Reset-Default": "1e308", "Retry-After": "99999999999"},
    {"X-RateLimit-Reset-Long": "3600", "X-RateLimit-Remaining-Long": "0"},
    {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"},
)


async def rate_limited_absurd(x: Exchange) -> None:
    headers = ABSURD_LIMITS[x.rng.randrange(len(ABSURD_LIMITS))]
    x.reply_with(error_reply(429, "Too many requests.", x.request.target, **headers))


async def retry_after(x: Exchange) -> None:
    x.reply_with(error_reply(429, "Too many requests.", x.request.target, **{"Retry-After": "1"}))


async def token_expired(x: Exchange) -> None:
    x.reply_with(error_reply(498, "The access token has expired.", x.request.target))


async def unauthorized(x: Exchange) -> None:
    x.reply_with(error_reply(401, "CustomThrottlerGuard - Invalid API Key", x.request.target))


async def forbidden(x: Exchange) -> None:
    x.reply_with(error_reply(403, "You do not have access to this booking.", x.request.target))


HTML_PAGE = (
    b"<html><head><title>{status} {reason}</title><style>body{{color:red}}</style></head>"
    b"<body><h1>{status} {reason}</h1><p>cloudflare</p></body></html>"
)


def html(status: int) -> Reply:
    page = HTML_PAGE.decode().format(status=status, reason=REASONS.get(status, "Error"))
    return Reply(status, page.encode(), content_type="text/html")


async def html_5xx(x: Exchange) -> None:
    x.reply_with(html(x.rng.choice((502, 503))))


async def envelope_unapplied(x: Exchange) -> None:
    """HTTP 200 whose body is the error envelope; the write was not applied."""
    x.reply_with(
        Reply.json(200, error_envelope(400, "Booking could not be processed", x.request.target))
    )


async def redirect(x: Exchange) -> None:
    status = x.server.redirect_status or x.rng.choice((302, 307))
    location = f"http://{HOST}:{x.server.sink_port}{x.request.target}"
    x.reply_with(Reply(status, b"", [("Location", location)]))


# Faults after the write was applied: the answer is lost, broken, slow or misleading.


async def drop_after(x: Exchange) -> None:
    x.apply()
    x.hang_up()


async def cut_body(x: Exchange) -> None:
    wire = x.apply().wire()
    await x.send_and_hang_up(wire[: len(wire) - x.rng.randint(5, 60)])


async def long_content_length(x: Exchange) -> None:
    """Content-Length promises more than the body; then the connection closes."""
    reply = x.apply()
    await x.send_and_hang_up(
        reply.head(length=len(reply.body) + x.rng.randint(1, 500)) + reply.body
    )


async def slow_headers(x: Exchange) -> None:
    """The status line and headers trickle in for longer than any client timeout."""
    wire = x.apply().wire()
    await x.trickle(wire[:-2], x.server.slow_seconds)
    x.send(wire[-2:])


async def slow_body(x: Exchange) -> None:
    reply = x.apply()
    x.send(reply.head())
    await x.trickle(reply.body, x.server.slow_seconds)


MALFORMED_STATUS = (
    b"HTTP/1.1 2OO OK\r\n",
    b"HTTQ/1.1 200 OK\r\n",
    b"HTTP/1.1 -200 OK\r\n",
    b"\x00\x01\x02 garbage\r\n",
)


async def malformed_status(x: Exchange) -> None:
    await send_corrupted(x, MALFORMED_STATUS, replace_status_line=True)


MALFORMED_HEADERS = (
    b"Content-Length: 12abc\r\n",
    b"this line has no colon\r\n",
    b"X-Bad\x01Name: 1\r\n",
    b"Content-Length: 5\r\nContent-Length: 9\r\n",
)


async def malformed_header(x: Exchange) -> None:
    await send_corrupted(x, MALFORMED_HEADERS, replace_status_line=False)


async def send_corrupted(
    x: Exchange, choices: tuple[bytes, ...], *, replace_status_line: bool
) -> None:
    """The answer with one of ``choices`` in place of its status line, or after it."""
    wire = x.apply().wire()
    bad = choices[x.rng.randrange(len(choices))]
    cut = wire.index(b"\r\n") + 2
    await x.send_and_hang_up((b"" if replace_status_line else wire[:cut]) + bad + wire[cut:])


async def bad_chunked(x: Exchange) -> None:
    reply = x.apply()
    head = reply.head(extra=[("Transfer-Encoding", "chunked")])
    await x.send_and_hang_up(head + b"zz\r\n" + reply.body + b"\r\n0\r\n\r\n")


async def corrupt_gzip(x: Exchange) -> None:
    reply = x.apply()
    packed = zlib.compress(reply.body)  # zlib, not gzip framing: the gzip decoder must refuse
    body = packed[: len(packed) // 2] + bytes(x.rng.randrange(256) for _ in range(32))
    x.send(Reply(200, body, [("Content-Encoding", "gzip"), *reply.headers]).wire())


async def gzip_bomb(x: Exchange) -> None:
    """A small gzip body that inflates to 100 MB of zeros."""
    reply = x.apply()
    x.send(Reply(200, bomb(), [("Content-Encoding", "gzip"), *reply.headers]).wire())


@functools.cache
def bomb(size: int = 100 * MB) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    zeros = bytes(MB)
    parts = [packer.compress(zeros) for _ in range(size // MB)]
    return b"".join(parts) + packer.flush()


async def huge_chunked(x: Exchange) -> None:
    reply = x.apply()
    x.send(reply.head(extra=[("Transfer-Encoding", "chunked")]))
    await stream(x, x.server.huge_bytes, chunked=True)


async def huge_content_length(x: Exchange) -> None:
    reply = x.apply()
    x.send(reply.head(length=x.server.huge_bytes))
    await stream(x, x.server.huge_bytes, chunked=False)


async def stream(x: Exchange, size: int, *, chunked: bool) -> None:
    """Send ``size`` bytes of body from one reused buffer; stops when the client hangs up."""
    frame = (f"{len(CHUNK):x}\r\n".encode(), CHUNK, b"\r\n") if chunked else (CHUNK,)
    for _ in range(size // len(CHUNK)):
        x.conn.writer.writelines(frame)
        await x.drain()
    if chunked:
        x.send(b"0\r\n\r\n")


async def html_200(x: Exchange) -> None:
    reply = x.apply()
    page = html(200)
    page.headers = reply.headers
    x.send(page.wire())


async def envelope_applied(x: Exchange) -> None:
    """HTTP 200 whose body is the error envelope, although the write was applied."""
    x.apply()
    x.reply_with(
        Reply.json(200, error_envelope(500, "Internal error after commit", x.request.target))
    )


async def wrong_types(x: Exchange) -> None:
    """HTTP 200 with the answer's shape but wrong types (a string id, a number start)."""
    reply = x.apply()
    payload = orjson.loads(reply.body)
    data = payload.get("data")
    if isinstance(data, dict):
        data.update({"id": "not-a-number", "start": 12345, "attendees": "nobody"})
    else:
        payload["data"] = {"unexpected": True}
    x.send(Reply(reply.status, orjson.dumps(payload), reply.headers).wire())


async def trickle_forever(x: Exchange) -> None:
    """Headers, then a body that trickles in a byte at a time and never ends (targeted use)."""
    reply = x.apply()
    x.send(reply.head(length=len(reply.body) * 1000))
    while True:
        x.send(b" ")
        await x.drain()
        await asyncio.sleep(0.05)


async def stall_forever(x: Exchange) -> None:
    """Read the request and never answer (targeted use)."""
    await asyncio.Event().wait()


async def unsolicited_trickle(x: Exchange) -> None:
    """The answer, then an unsolicited response whose body never ends (targeted use)."""
    x.answer(x.apply())
    x.send(Reply(200, b"", x.stamp()).head(length=10**6))
    x.server.trickle_on(x.conn)


#: Every fault by name. The random mix draws from these; tests may also script any of them.
FAULTS: dict[str, Fault] = {
    "normal": normal,
    "unsolicited_now": unsolicited_now,
    "unsolicited_later": unsolicited_later,
    "unsolicited_ahead": unsolicited_ahead,
    "close_after_answer": close_after_answer,
    "idle_close": idle_close,
    "drop_before": drop_before,
    "stall": stall,
    "rate_limited": rate_limited,
    "rate_limited_absurd": rate_limited_absurd,
    "retry_after": retry_after,
    "token_expired": token_expired,
    "unauthorized": unauthorized,
    "forbidden": forbidden,
    "html_5xx": html_5xx,
    "envelope_unapplied": envelope_unapplied,
    "redirect": redirect,
    "drop_after": drop_after,
    "cut_body": cut_body,
    "long_content_length": long_content_length,
    "slow_headers": slow_headers,
    "slow_body": slow_body,
    "malformed_status": malformed_status,
    "malformed_header": malformed_header,
    "bad_chunked": bad_chunked,
    "corrupt_gzip": corrupt_gzip,
    "gzip_bomb": gzip_bomb,
    "huge_chunked": huge_chunked,
    "huge_content_length": huge_content_length,
    "html_200": html_200,
    "envelope_applied": envelope_applied,
    "wrong_types": wrong_types,
    "trickle_forever": trickle_forever,
    "stall_forever": stall_forever,
    "unsolicited_trickle": unsolicited_trickle,
}


# --- the server ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Served:
    """One request the server handled: for attributing a failure to the faults behind it."""

    operation: str
    subject: str
    conn: int
    index: int  # its place on the connection: 0 for the first request (the connection was fresh)
    fault: str
    seen: int


class HostileServer:
    """The hostile server; see the module docstring.

    Args:
        seed: Fixes every draw (faults, uids).
        mix: Fault name -> share of requests it hits; the rest are answered normally.
        stall_seconds: How long ``stall`` says nothing.
        slow_seconds: How long ``slow_headers`` and ``slow_body`` take to send an answer.
        huge_bytes: The size of the huge bodies.

    Attributes:
        store: The bookings and the ledger.
        faults: How many times each fault fired (``normal`` included).
        served: Every request handled, in order of arrival.
        histories: Per connection number, the faults on it in order (unsolicited responses
            pushed by a test included).
        sink_arrivals: What reached the redirect sink (peer, first bytes).
        connections: Connections accepted.
        late_writes: Unsolicited responses ``unsolicited_later`` did write (the connection was
            still open when their time came).
        not_http: Connections whose first bytes were not HTTP (a TLS handshake, say).
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        mix: Mapping[str, float] | None = None,
        stall_seconds: float = 2.5,
        slow_seconds: float = 2.4,
        huge_bytes: int = 50 * MB,
    ) -> None:
        for name in mix or {}:
            if name not in FAULTS:
                raise KeyError(name)
        self.seed = seed
        self.mix = dict(mix or {})
        self.stall_seconds = stall_seconds
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self.store = Store(seed)
        self.faults: Counter[str] = Counter()
        self.served: list[Served] = []
        self.histories: dict[int, list[str]] = {}
        self.sink_arrivals: list[tuple[str, bytes]] = []
        self.connections = 0
        self.late_writes = 0
        self.not_http = 0
        self.port = 0
        self.sink_port = 0
        self._scripted: list[str] = []
        self._always: str | None = None
        self._seen: Counter[str] = Counter()
        self._acceptor: asyncio.Future[None] | None = None
        self._sink: asyncio.Server | None = None
        self._conns: dict[Connection, asyncio.Task[None]] = {}
        self._extra: set[asyncio.Task[None]] = set()
        #: Steer the faults' own draws: the unsolicited response (``"copy"``, ``"429"``, or
        #: ``"redirect"`` / ``"503"``, which are never drawn) and the redirect status;
        #: ``None`` draws.
        self.stale: str | None = None
        self.redirect_status: int | None = None

    # -- life cycle --

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ledger(self) -> Ledger:
        return self.store.ledger

    async def start(self) -> None:
        self.listen_now()
        if self._sink is None:
            self._sink = await asyncio.start_server(self._sink_serve, HOST, 0)
            self.sink_port = self._sink.sockets[0].getsockname()[1]

    def listen_now(self) -> None:
        """Listen on the port at once; connections queue in the backlog until accepted.

        Synchronous, so that a retry hook can bring a killed server back before the retry
        connects. Connections are accepted one by one by a task of this server, never by
        ``asyncio.start_server``: a server closed while asyncio is accepting a connection can
        leave that socket unclosed (CPython 3.11), and every socket here must be accounted for.
        """
        sock = socket.create_server((HOST, self.port), backlog=128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._acceptor = asyncio.ensure_future(self._accept(sock))

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                accepted, _ = await loop.sock_accept(sock)
                try:
                    reader, writer = await asyncio.open_connection(sock=accepted, limit=MAX_HEAD)
                except BaseException:
                    accepted.close()
                    raise
                self.connections += 1
                conn = Connection(self.connections, writer)
                self.histories[conn.number] = conn.history
                self._conns[conn] = asyncio.ensure_future(self._serve(reader, conn))
        finally:
            sock.close()

    async def kill(self) -> None:
        """Stop listening and cut every connection, as a crashed process would (state kept)."""
        if self._acceptor is not None:
            self._acceptor.cancel()
            await asyncio.gather(self._acceptor, return_exceptions=True)
            self._acceptor = None
        tasks = [*self._conns.values(), *self._extra]
        for conn in list(self._conns):
            conn.writer.transport.abort()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._conns.clear()

    async def drained(self, timeout: float = 15.0) -> None:
        """Wait until every connection has ended (the clients closed theirs; faults finished)."""
        tasks = [*self._conns.values(), *self._extra]
        if tasks:
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)

    async def restart(self) -> None:
        """Listen again on the same port, with the state and ledger as they were."""
        self.listen_now()

    async def close(self) -> None:
        await self.kill()
        if self._sink is not None:
            self._sink.close()
            await self._sink.wait_closed()
            self._sink = None

    async def __aenter__(self) -> HostileServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- what the tests steer --

    def script(self, *names: str) -> None:
        """Give the next requests these faults, in order of arrival (then the mix again)."""
        for name in names:
            if name not in FAULTS:
                raise KeyError(name)
        self._scripted.extend(names)

    def always(self, name: str | None) -> None:
        """Give every request this fault (``None``: back to the script and the mix)."""
        if name is not None and name not in FAULTS:
            raise KeyError(name)
        self._always = name

    def add_booking(self, email: str, *, status: str = "accepted", host: int = 101) -> str:
        return self.store.add_booking(email, status=status, host=host)

    # -- serving --

    async def _serve(self, reader: asyncio.StreamReader, conn: Connection) -> None:
        try:
            await self._exchanges(reader, conn)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away (a closed socket refuses even our FIN: ENOTCONN)
        except BadRequestLine:
            self.not_http += 1
            conn.writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        finally:
            self._conns.pop(conn, None)
            conn.writer.close()

    async def _exchanges(self, reader: asyncio.StreamReader, conn: Connection) -> None:
        while not conn.closed:
            try:
                request = await asyncio.wait_for(
                    read_request(reader, conn.number, conn.requests), conn.idle_limit
                )
            except asyncio.TimeoutError:
                return  # idle for too long: close, as a keep-alive timeout does
            if request is None:
                return
            conn.requests += 1
            conn.idle_limit = None
            keep_alive = await self._exchange(conn, request)
            if not keep_alive:
                return
            await conn.writer.drain()

    async def _exchange(self, conn: Connection, request: Request) -> bool:
        seen = self._seen[request.key]
        self._seen[request.key] += 1
        request = dataclasses.replace(request, seen=seen)
        operation, uid, handler = route(request)
        rng = random.Random(f"{self.seed}|{request.key}|{seen}")
        name = self._choose(rng)
        self.faults[name] += 1
        conn.history.append(name)
        subject = subject_of(request, operation, uid)
        index = conn.requests - 1
        self.served.append(Served(operation, subject, conn.number, index, name, seen))
        exchange = Exchange(self, conn, request, operation, uid, handler, rng)
        await FAULTS[name](exchange)
        return exchange.keep_alive

    def _choose(self, rng: random.Random) -> str:
        draw = rng.random()  # drawn first, always: a script does not shift later draws
        if self._always is not None:
            return self._always
        if self._scripted:
            return self._scripted.pop(0)
        for name, share in self.mix.items():
            if draw < share:
                return name
            draw -= share
        return "normal"

    def stale_answer(self, x: Exchange) -> bytes:
        """A response nobody asked for: the last answer again, or a 429 meant for another call
        (or, steered by :attr:`stale`, another kind: see :meth:`_stale`)."""
        kind = self.stale
        if kind is None:
            kind = "copy" if x.rng.random() < 0.5 else "429"
        return self._stale(x.conn, kind)

    def _stale(self, conn: Connection, kind: str) -> bytes:
        """``"copy"``: the connection's last answer again; ``"429"``: a 429 naming the last
        request's path; ``"redirect"``: a 307 (what the ``redirect`` fault answers, no body);
        ``"503"``: a proxy's HTML 503 page. The last two name no path."""
        if kind == "copy" and conn.last_answer:
            return conn.last_answer
        if kind == "redirect":
            location = f"http://{HOST}:{self.sink_port}{conn.last_target}"
            return Reply(307, b"", [("Location", location)]).wire()
        if kind == "503":
            return html(503).wire()
        return error_reply(
            429, "Too many requests.", conn.last_target, **{"X-RateLimit-Reset-Default": "1"}
        ).wire()

    def push_unsolicited(self, kind: str) -> int:
        """Write a response nobody asked for on every open connection: ``"copy"`` its last
        answer again, ``"429"`` a 429, ``"trickle"`` a 200 whose body trickles in forever.

        Returns:
            How many connections got one.
        """
        conns = [conn for conn in self._conns if not conn.closed]
        for conn in conns:
            if kind == "trickle":
                conn.writer.write(Reply(200, b"").head(length=10**6))
                self.trickle_on(conn)
            else:
                conn.writer.write(self._stale(conn, kind))
            conn.history.append(f"unsolicited {kind}")
        return len(conns)

    def later(self, conn: Connection, delay: float, data: bytes) -> None:
        """Write ``data`` on ``conn`` after ``delay`` seconds, if it is still open."""

        async def write() -> None:
            await asyncio.sleep(delay)
            if not conn.closed:
                conn.writer.write(data)
                self.late_writes += 1

        self._spawn(write())

    def trickle_on(self, conn: Connection) -> None:
        """Write a byte every 50 ms on ``conn`` until it closes."""

        async def trickle() -> None:
            while not conn.closed:
                conn.writer.write(b" ")
                await asyncio.sleep(0.05)

        self._spawn(trickle())

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._extra.add(task)
        task.add_done_callback(self._extra.discard)

    async def _sink_serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = str(writer.get_extra_info("peername"))
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            first = await reader.read(4096)
            self.sink_arrivals.append((peer, first))
        writer.close()

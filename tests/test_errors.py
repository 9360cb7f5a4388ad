"""Status -> error class, the error envelope, non-JSON bodies, decode errors, pickling, text."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from _helpers import API_KEY, Reply, ScriptedServer, error_envelope

from calbookings_async import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    CalBookings,
    CalError,
    ConflictError,
    DecodeError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    TokenExpiredError,
    TransportError,
    UnprocessableEntityError,
)
from calbookings_async._errors import STATUS_ERRORS, ClientClosedError, error_for_status

MakeClient = Callable[..., CalBookings]
NO_RETRY = RetryPolicy.disabled()
DECLINE_PATH = "/v2/bookings/booking_uid_123/decline"


async def failing_decline(cal: CalBookings) -> CalError:
    with pytest.raises(CalError) as caught:
        await cal.bookings.decline("booking_uid_123", reason="Host has to take another call")
    return caught.value


# --- status -> class -----------------------------------------------------------------------

STATUS_CLASSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (498, TokenExpiredError),
    (500, ServerError),
    (501, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
    (599, ServerError),
    (402, APIStatusError),
    (405, APIStatusError),
    (408, APIStatusError),
    (410, APIStatusError),
    (418, APIStatusError),
    (451, APIStatusError),
    (304, APIStatusError),
]


@pytest.mark.parametrize(("status", "error_class"), STATUS_CLASSES)
def test_error_for_status(status: int, error_class: type[APIStatusError]) -> None:
    assert error_for_status(status) is error_class


def test_status_table_is_exactly_the_documented_one() -> None:
    assert dict(STATUS_ERRORS) == {
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        409: ConflictError,
        422: UnprocessableEntityError,
        429: RateLimitError,
        498: TokenExpiredError,
    }


@pytest.mark.parametrize(("status", "error_class"), STATUS_CLASSES)
async def test_status_picks_the_class_over_the_wire(
    loopback_server: ScriptedServer,
    make_client: MakeClient,
    status: int,
    error_class: type[APIStatusError],
) -> None:
    # The body's code names another exception: the class follows the HTTP status.
    body = error_envelope(status)
    body["error"]["code"] = "NotFoundException" if status != 404 else "ConflictException"
    loopback_server.default = Reply(status=status, body=body)
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert type(error) is error_class
    assert isinstance(error, APIStatusError)
    assert error.status_code == status


def test_the_tree() -> None:
    for cls in (BadRequestError, RateLimitError, TokenExpiredError, ServerError):
        assert issubclass(cls, APIStatusError)
    assert issubclass(APIStatusError, CalError)
    assert issubclass(RequestTimeout, TransportError)
    assert issubclass(ClientClosedError, TransportError)
    assert issubclass(TransportError, CalError)
    assert issubclass(DecodeError, CalError)
    assert issubclass(InvalidArgumentError, ValueError)


# --- the Cal.com error envelope ------------------------------------------------------------


@pytest.mark.parametrize(
    "details",
    [
        {"message": "Booking with uid=x was not found", "error": "Not Found", "statusCode": 404},
        {"errors": [{"property": "reason", "constraints": {"isString": "must be a string"}}]},
        ["first problem", "second problem"],
        "CustomThrottlerGuard - Too many requests. Please try again later.",
    ],
    ids=["dict", "validation", "list", "string"],
)
async def test_envelope_fields(
    loopback_server: ScriptedServer, make_client: MakeClient, details: Any
) -> None:
    loopback_server.default = Reply(
        status=404,
        body=error_envelope(404, "Booking with uid=booking_uid_123 was not found", details),
        headers={"X-Request-Id": "req-123"},
    )
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert isinstance(error, NotFoundError)
    assert error.status_code == 404
    assert error.code == "NotFoundException"
    assert error.message == "Booking with uid=booking_uid_123 was not found"
    assert error.details == details
    assert error.request_id == "req-123"
    assert error.method == "POST"
    assert error.url == loopback_server.url + DECLINE_PATH
    assert error.may_have_been_applied is False
    assert error.attempts == 1


async def test_message_list_from_class_validator(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    body = error_envelope(400)
    body["error"]["message"] = ["reason must be a string", "host must be a boolean"]
    loopback_server.default = Reply(status=400, body=body)
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert isinstance(error, BadRequestError)
    assert error.message == "reason must be a string; host must be a boolean"


async def test_no_request_id_header(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=409)
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert isinstance(error, ConflictError)
    assert error.request_id is None
    assert "request id" not in str(error)


async def test_nest_default_body(loopback_server: ScriptedServer, make_client: MakeClient) -> None:
    loopback_server.default = Reply(
        status=500, body={"statusCode": 500, "message": "Internal server error"}
    )
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert type(error) is ServerError
    assert error.message == "Internal server error"
    assert error.code is None
    assert error.details is None
    assert error.may_have_been_applied is True


async def test_nest_body_with_an_error_string(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(
        status=404,
        body={"statusCode": 404, "message": "Cannot POST /v2/bookings/x/decline", "error": "Not"},
    )
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert isinstance(error, NotFoundError)
    assert error.message == "Cannot POST /v2/bookings/x/decline"
    assert error.code == "Not"


NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

CDN_502 = (
    b"<!DOCTYPE html>\n<!--[if lt IE 7]> <html class='ie6'> <![endif]-->\n<html><head>\n"
    b"<title>api.cal.com | 502: Bad gateway</title>\n"
    b"<style>body{margin:0} #cf-wrapper .cf-section{margin:10px}" + b"a{b:c}" * 3000 + b"</style>\n"
    b"<script>window._cf_opt={cvId:'2'};</script>\n</head><body>\n"
    b"<h1>Bad gateway <span>Error code 502</span></h1>\n"
    b"<p>The web server reported a bad gateway error.&nbsp;Ray ID: <b>7d1f</b></p>\n"
    b"</body></html>"
)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (NGINX_502, "Bad Gateway: 502 Bad Gateway 502 Bad Gateway nginx"),
        (CDN_502, "Bad Gateway: api.cal.com | 502: Bad gateway"),
    ],
    ids=["nginx", "cdn"],
)
async def test_html_error_page_from_a_proxy(
    loopback_server: ScriptedServer, make_client: MakeClient, page: bytes, expected: str
) -> None:
    loopback_server.default = Reply(status=502, body=page, content_type="text/html")
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert type(error) is ServerError
    assert error.status_code == 502
    assert error.code is None
    assert error.message.startswith(expected)
    assert "\n" not in error.message
    assert "<" not in error.message
    assert "{" not in error.message  # no style sheet or script
    assert len(error.message) <= 250
    assert "\n" not in str(error)


async def test_cdn_page_text_is_unescaped(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=502, body=CDN_502, content_type="text/html")
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert isinstance(error, APIStatusError)
    assert "error. Ray ID: 7d1f" in error.message
    assert "&nbsp;" not in error.message


async def test_plain_text_error_body(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(
        status=503,
        body=b"upstream connect error or disconnect/reset before headers. reset reason: overflow",
        content_type="text/plain",
    )
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert type(error) is ServerError
    assert error.message == (
        "Service Unavailable: upstream connect error or disconnect/reset before headers. "
        "reset reason: overflow"
    )
    assert error.may_have_been_applied is False  # 503: the server did not start the work


@pytest.mark.parametrize(
    ("status", "message"), [(502, "Bad Gateway"), (401, "Unauthorized"), (429, "Too Many Requests")]
)
async def test_empty_error_body(
    loopback_server: ScriptedServer, make_client: MakeClient, status: int, message: str
) -> None:
    loopback_server.default = Reply(status=status, body=b"")
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert error.message == message
    assert error.details is None


async def test_success_status_with_an_error_envelope(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(
        status=200,
        body=error_envelope(200, "Booking is not awaiting confirmation", "details here"),
        headers={"X-Request-Id": "req-9", "X-RateLimit-Remaining-Default": "7"},
    )
    cal = make_client(retry=RetryPolicy(attempts=3))
    error = await failing_decline(cal)
    assert type(error) is APIStatusError
    assert error.status_code == 200
    assert error.message == "Booking is not awaiting confirmation"
    assert error.details == "details here"
    assert error.request_id == "req-9"
    assert error.rate_limits["default"].remaining == 7
    assert loopback_server.count == 1


# --- 2xx bodies that are not an envelope -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>maintenance</html>", "not valid JSON"),
        (b'{"status": "success", "data": ', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2, 3]", "expected a JSON object envelope"),
        (b'"success"', "expected a JSON object envelope"),
        (b"null", "expected a JSON object envelope"),
        (b"42", "expected a JSON object envelope"),
    ],
)
async def test_2xx_that_is_not_a_json_object_is_a_decode_error(
    loopback_server: ScriptedServer, make_client: MakeClient, body: bytes, reason: str
) -> None:
    loopback_server.default = Reply(body=body, headers={"X-Request-Id": "req-d"})
    error = await failing_decline(make_client(retry=RetryPolicy(attempts=3)))
    assert type(error) is DecodeError
    assert error.path == "$"
    assert reason in error.reason
    assert error.status_code == 200
    assert error.request_id == "req-d"
    assert error.method == "POST"
    assert error.url == loopback_server.url + DECLINE_PATH
    assert error.may_have_been_applied is True
    assert loopback_server.count == 1  # never retried: the write went through


# --- may_have_been_applied -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "applied"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, False),
        (409, False),
        (422, False),
        (429, False),
        (498, False),
        (500, True),
        (502, True),
        (503, False),
        (504, True),
    ],
)
async def test_may_have_been_applied_by_status(
    loopback_server: ScriptedServer, make_client: MakeClient, status: int, applied: bool
) -> None:
    loopback_server.default = Reply(status=status)
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert error.may_have_been_applied is applied
    assert ("read the state back" in str(error)) is applied


# --- text -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 404, 418, 429, 498, 500, 503])
async def test_str_names_status_method_and_url(
    loopback_server: ScriptedServer, make_client: MakeClient, status: int
) -> None:
    loopback_server.default = Reply(status=status, headers={"X-Request-Id": "rid-7"})
    error = await failing_decline(make_client(retry=NO_RETRY))
    text = str(error)
    assert f"HTTP {status}" in text
    assert "POST" in text
    assert loopback_server.url + DECLINE_PATH in text
    assert "rid-7" in text
    assert "something went wrong" in text


async def test_rate_limit_error_text_has_retry_after(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=429, headers={"X-RateLimit-Reset-Default": "42"})
    error = await failing_decline(make_client(retry=NO_RETRY))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 42
    assert str(error).endswith("retry after 42 s")


def test_decode_and_transport_error_text() -> None:
    decode = DecodeError(
        "$.data.attendees[0].email",
        "expected a string",
        status_code=200,
        request_id="r1",
        method="POST",
        url="https://api.cal.com/v2/bookings/u/decline",
    )
    assert str(decode) == (
        "unexpected response body at $.data.attendees[0].email: expected a string "
        "(POST https://api.cal.com/v2/bookings/u/decline, HTTP 200, request id r1)"
    )
    transport = TransportError(
        "the connection failed",
        method="GET",
        url="https://x/v2/bookings",
        request_sent=True,
    )
    assert str(transport).startswith("the connection failed (GET https://x/v2/bookings)")
    assert "read the state back" in str(transport)


# --- pickling ------------------------------------------------------------------------------


def _every_error() -> list[CalError]:
    limits = {"default": RateLimit(name="default", limit=120, remaining=0, reset=30.0)}
    common: dict[str, Any] = {
        "message": "went wrong",
        "code": "SomeException",
        "details": {"errors": [{"property": "x"}]},
        "request_id": "rid",
        "method": "POST",
        "url": "https://api.cal.com/v2/bookings/u/decline",
        "rate_limits": limits,
    }
    errors: list[CalError] = [
        InvalidArgumentError("booking_uid", "must not be empty"),
        TransportError("could not connect", method="POST", url="https://x/y"),
        RequestTimeout("timed out", method="GET", url="https://x/y", request_sent=True),
        ClientClosedError("the client is closed", method="GET", url="https://x/y"),
        APIStatusError(status_code=418, **common),
        RateLimitError(status_code=429, retry_after=30.0, **common),
        DecodeError("$.data", "expected an object", status_code=200, method="POST", url="u"),
    ]
    for status, cls in STATUS_ERRORS.items():
        if cls is not RateLimitError:
            errors.append(cls(status_code=status, may_have_been_applied=False, **common))
    errors.append(ServerError(status_code=502, may_have_been_applied=True, **common))
    return errors


@pytest.mark.parametrize("error", _every_error(), ids=lambda error: type(error).__name__)
def test_every_error_pickles_with_its_attributes(error: CalError) -> None:
    error.attempts = 3
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)
    assert copy.attempts == 3
    assert copy.may_have_been_applied == error.may_have_been_applied


async def test_errors_from_responses_pickle(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(
        status=429,
        body=error_envelope(429, "Too many requests", "slow down"),
        headers={"X-RateLimit-Reset-Default": "12", "X-Request-Id": "r-429"},
    )
    error = await failing_decline(make_client(retry=NO_RETRY))
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, RateLimitError)
    assert copy.retry_after == 12
    assert copy.rate_limits == error.rate_limits  # type: ignore[attr-defined]
    assert copy.details == "slow down"
    assert copy.request_id == "r-429"


def test_error_envelope_helper_matches_the_notes() -> None:
    # Guard the fixture itself: the shape of API-NOTES §7.
    body = orjson.loads(orjson.dumps(error_envelope(404, path="/v2/bookings/uid/decline")))
    assert set(body) == {"status", "timestamp", "path", "error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert API_KEY not in orjson.dumps(body).decode()

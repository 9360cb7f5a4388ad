"""Handlers of the email-verification routes: check, send code, verify code (API-NOTES §13).

They need no credentials and no ``cal-api-version``. The codes "mailed" are kept by the
:class:`~calbookings_async.testing._verification.Verifier`, where tests read them
(``emu.verification_code(email)``). Imports only the emulator's own modules; nothing from the
rest of ``calbookings_async``.
"""

from __future__ import annotations

from ._context import Backend, Ctx, Reply, success
from ._envelope import bad_request
from ._validation import clean_send_code, clean_verify_code, parse_check_query
from ._verification import MSG_CODE_INVALID

__all__ = ["check_email", "send_code", "verify_code"]


def check_email(api: Backend, ctx: Ctx) -> Reply:
    """``GET .../verification/email/check``: ``data`` is whether verification is required."""
    email, session_email = parse_check_query(ctx.request.query)
    return success(api.verifier.required(email, session_email))


def send_code(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../verification/email/send-code``: a new six-digit code for the email."""
    body = clean_send_code(ctx.body)
    api.verifier.send(body["email"])
    return success({"sent": True})


def verify_code(api: Backend, ctx: Ctx) -> Reply:
    """``POST .../verification/email/verify-code``: 400 for a wrong code."""
    body = clean_verify_code(ctx.body)
    if not api.verifier.matches(body["email"], body["code"]):
        raise bad_request(MSG_CODE_INVALID)
    return success({"verified": True})

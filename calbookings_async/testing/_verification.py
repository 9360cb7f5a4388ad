"""Email verification: the one-time codes an event type can require before a booking.

Cal.com can require a booker to prove their email before booking an event type
(``requiresBookerEmailVerification``): ``POST /v2/bookings/verification/email/send-code`` mails a
six-digit code, ``.../verify-code`` checks it, and create then carries it as
``emailVerificationCode`` (API-NOTES §13). :class:`Verifier` keeps the codes the emulator "sent",
so that a test can read them (``emu.verification_code(email)``) instead of an inbox, and answers
whether an email needs verifying (``.../check``: an email that belongs to an existing user, other
than the caller's own session email). Emails are compared by their base address (``+tag`` and
case dropped), as the live server does. Stdlib only; nothing from the rest of
``calbookings_async``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from ._envelope import bad_request

__all__ = ["MSG_CODE_INVALID", "MSG_CODE_REQUIRED", "Verifier", "base_email"]

MSG_CODE_REQUIRED = "email_verification_required"
MSG_CODE_INVALID = "invalid_verification_code"


def base_email(email: str) -> str:
    """An email without its ``+tag``, lower-cased (``Ann+x@Example.org`` -> ``ann@example.org``)."""
    local, _, domain = email.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


class Verifier:
    """The verification codes sent, by base email.

    Args:
        rng: The generator of the codes (seeded by the emulator: reproducible codes).
        user_emails: Returns the emails of the existing users (the ``check`` rule).
    """

    def __init__(self, rng: random.Random, user_emails: Callable[[], Iterable[str]]) -> None:
        self._rng = rng
        self._user_emails = user_emails
        self._codes: dict[str, str] = {}
        self.sent: list[str] = []

    def send(self, email: str) -> str:
        """Make (and "mail") a new six-digit code for an email; the newest code replaces older."""
        code = f"{self._rng.randrange(1_000_000):06d}"
        self._codes[base_email(email)] = code
        self.sent.append(email)
        return code

    def code(self, email: str) -> str | None:
        """The code last sent to an email, or None if none was sent."""
        return self._codes.get(base_email(email))

    def matches(self, email: str, code: str) -> bool:
        """Whether ``code`` is the code last sent to ``email``."""
        expected = self._codes.get(base_email(email))
        return expected is not None and code == expected

    def require(self, email: str | None, code: str | None) -> None:
        """The create rule of an event type that requires a verified email.

        Raises:
            ApiError: 400 ``email_verification_required`` without a code, 400
                ``invalid_verification_code`` with a wrong one.
        """
        if not code:
            raise bad_request(MSG_CODE_REQUIRED)
        if not email or not self.matches(email, code):
            raise bad_request(MSG_CODE_INVALID)

    def required(self, email: str, session_email: str | None) -> bool:
        """Whether booking with ``email`` needs verification (it is an existing user's email)."""
        wanted = base_email(email)
        if session_email is not None and base_email(session_email) == wanted:
            return False
        return any(base_email(e) == wanted for e in self._user_emails())

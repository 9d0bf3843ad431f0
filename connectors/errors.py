"""The error kinds a connector raises, each one a different action for the caller (DESIGN.md #3).

- TransientError: try again later (backoff, honouring `retry_after`).
- CursorExpired: the resume point is gone; the connector itself answers it with one full resync,
  so callers rarely see it.
- AuthError: stop this account and tell the person how to fix it (`advice`); other accounts go on.
- BadRecord: one record is unusable; quarantine it, count it, go on.
- ConnectorError (the base): anything else fails this account's run, never the daemon.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A connector could not finish; the account's run fails, the daemon goes on."""

    advice: str = ""

    def __init__(self, message: str, *, advice: str = "") -> None:
        super().__init__(message)
        if advice:
            self.advice = advice


class TransientError(ConnectorError):
    """A failure that may pass: a dropped connection, a timeout, 429 or 5xx."""

    def __init__(self, message: str, *, retry_after: float | None = None, advice: str = "") -> None:
        super().__init__(message, advice=advice)
        self.retry_after = retry_after


class CursorExpired(ConnectorError):
    """The provider no longer knows the cursor (history 404, sync token 410, UIDVALIDITY change)."""


class AuthError(ConnectorError):
    """The credentials were refused or are missing; a person has to act."""


class BadRecord(ConnectorError):
    """One record cannot be turned into an interaction; it is quarantined with this reason."""

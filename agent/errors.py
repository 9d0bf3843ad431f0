"""Errors meant for the person at the keyboard: what went wrong and what to do about it.

The CLI turns every UserError (and every connector error) into two lines, the problem and the
advice, and an exit code; a traceback never reaches the user.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the person can fix; `advice` says how."""

    def __init__(self, message: str, *, advice: str = "") -> None:
        super().__init__(message)
        self.advice = advice


class ConfigError(UserError):
    """The configuration file is missing, unreadable or invalid."""

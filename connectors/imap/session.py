"""An authenticated IMAP session (TLS, STARTTLS or loopback plaintext), and its errors named.

Every socket gets the account's timeout for connect and for each read (imapclient SocketTimeout).
Failures leave here as the kinds of connectors.errors: a refused login is AuthError, a dropped
connection or a timeout TransientError, a certificate problem a ConnectorError with advice.
"""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from imapclient.imapclient import SocketTimeout

from touchbase.connectors.errors import AuthError, ConnectorError, TransientError
from touchbase.connectors.imap.limits import BoundedIMAPClient, ResponseTooLarge
from touchbase.connectors.imap.settings import ImapSettings

log = logging.getLogger(__name__)

Credential = Callable[[], str | None]  # the password, or an OAuth access token for XOAUTH2


@contextmanager
def imap_errors(host: str, what: str) -> Iterator[None]:
    """Translate what imaplib, imapclient and the socket raise into connector error kinds."""
    try:
        yield
    except LoginError as exc:
        raise AuthError(
            f"{host} refused the login: {_reason(exc)}",
            advice="check the username, then store the right password with `touchbase auth "
            "ACCOUNT` (many providers want IMAP switched on, or an app password when 2-step "
            "sign-in is on)",
        ) from exc
    except ResponseTooLarge as exc:
        # Before imaplib's abort: a server that does this will do it again, so this is no
        # transient failure to retry but an account that fails until someone looks.
        raise ConnectorError(
            f"{host} sent an answer too large to accept during {what}: {exc}; refused "
            "before reading it",
            advice="no IMAP server sends this in normal use: check the host setting; if it is "
            "right, tell the provider (touchbase reads again at the next sync)",
        ) from exc
    except ssl.SSLCertVerificationError as exc:
        raise ConnectorError(
            f"{host}'s TLS certificate is not trusted: {exc.verify_message}",
            advice="check the host name; for a private CA set ca_file to its PEM file",
        ) from exc
    except imaplib.IMAP4.abort as exc:
        # imaplib's abort means the connection is unusable (EOF, garbage, a BYE).
        raise TransientError(f"IMAP connection to {host} lost during {what}: {exc}") from exc
    except (TimeoutError, ConnectionError, ssl.SSLError, EOFError) as exc:
        raise TransientError(f"IMAP {what} on {host} failed: {exc!r}") from exc
    except socket.gaierror as exc:
        raise TransientError(
            f"cannot resolve IMAP host {host}: {exc}", advice="check the host setting"
        ) from exc
    except OSError as exc:
        raise TransientError(f"IMAP {what} on {host} failed: {exc!r}") from exc
    except imaplib.IMAP4.error as exc:
        raise ConnectorError(f"{host} refused {what}: {exc}") from exc


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text[:200]


def _tls_context(settings: ImapSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(settings: ImapSettings, credential: Credential) -> IMAPClient:
    """A logged-in IMAPClient, or one of the connector errors. The caller logs it out."""
    timeout = SocketTimeout(connect=settings.timeout, read=settings.timeout)
    with imap_errors(settings.host, "connect"):
        client = BoundedIMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.security == "tls",
            ssl_context=_tls_context(settings) if settings.security == "tls" else None,
            timeout=timeout,
        )
    try:
        with imap_errors(settings.host, "login"):
            if settings.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise ConnectorError(
                        f"{settings.host}:{settings.port} does not offer STARTTLS",
                        advice='use security = "tls" with port 993, or ask the provider',
                    )
                client.starttls(_tls_context(settings))
            secret = credential()
            if not secret:
                raise AuthError(
                    f"no {'access token' if settings.auth == 'xoauth2' else 'password'} "
                    f"stored for {settings.username} on {settings.host}",
                    advice="store it with `touchbase auth ACCOUNT`",
                )
            if settings.auth == "xoauth2":
                client.oauth2_login(settings.username, secret)
            else:
                client.login(settings.username, secret)
    except BaseException:
        close_quietly(client)
        raise
    log.debug("IMAP session open on %s:%s", settings.host, settings.port)
    return client


def close_quietly(client: IMAPClient, *, logout: bool = True) -> None:
    """Log out if the connection still works; drop it either way. Never raises."""
    try:
        if not logout:
            raise EOFError("no LOGOUT asked")
        client.logout()
    except (imaplib.IMAP4.error, OSError, EOFError, ValueError):
        try:
            client.shutdown()
        except (imaplib.IMAP4.error, OSError, EOFError, ValueError) as exc:
            log.debug("IMAP shutdown after a failed logout: %r", exc)

"""`touchbase serve [--at ISO-8601] [--url]`: the review page, on 127.0.0.1 unless told otherwise.

It prints the page's link with the install's access token (`?token=...`, as Jupyter does) on a
terminal (elsewhere, e.g. the journal of touchbase-review.service, the address alone); only a
browser that opened that link gets in. `--url` prints the link again and exits (for a page
already running as the systemd service). Settings under [web]; the flags win.
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from touchbase.agent.app import App, parse_at
from touchbase.agent.cli.output import console
from touchbase.agent.errors import UserError

log = logging.getLogger(__name__)
DEFAULT_PORT = 8765


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "serve",
        help="the review page in your browser",
        description="Serve the review page and print its link (http://127.0.0.1:8765/?token=...);"
        " the page opens only through that link.",
    )
    parser.add_argument(
        "--port", type=int, default=None, help=f"port (default [web] port, {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--host",
        default=None,
        help="address to listen on (default [web] host, 127.0.0.1: this machine only). Any "
        "other address needs TLS ([web] tls_cert and tls_key) or --allow-remote",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="listen beyond this machine without TLS: anyone on the network path can read "
        "the page and its token (prefer TLS or an authenticating proxy)",
    )
    parser.add_argument(
        "--url",
        action="store_true",
        help="print the page's link (with its access token) and exit, e.g. for the running "
        "touchbase-review service",
    )
    parser.add_argument(
        "--at",
        metavar="ISO-8601",
        help="show who is due and each person's standing as of this moment, not now "
        "(review an imported archive as of its own time)",
    )
    parser.set_defaults(func=run)


def run(app: App) -> int:
    web = app.config.web
    port = app.args.port if app.args.port is not None else web["port"]
    host = app.args.host or web["host"]
    if app.args.url:
        # Not the web app: Flask and Hypercorn are not needed to print a link (issue 16).
        from touchbase.agent.web.access import access_token, address

        scheme = "https" if web["tls_cert"] else "http"
        shown = next(iter(web["names"]), host.strip("[]"))
        print(link(address(scheme, shown, port), access_token(app.service)))
        return 0
    allow_remote = app.args.allow_remote or web["allow_remote"]
    return serve(app, port, host, parse_at(app.args.at), allow_remote=allow_remote)


def link(url: str, token: str) -> str:
    return f"{url}?token={quote(token)}"


def serve(
    app: App,
    port: int,
    host: str = "127.0.0.1",
    at: datetime | None = None,
    *,
    allow_remote: bool = False,
) -> int:
    """Serve the review page until interrupted (also the end of `touchbase demo`)."""
    # Imported here, not at the top: Flask and Hypercorn add about 0.25 s to the start of every
    # other command (each command module is imported to build the parser).
    from touchbase.agent.web.access import access_token
    from touchbase.agent.web.server import Tls, make_server
    from touchbase.agent.web.site import Site

    if not 0 <= port <= 65535:
        raise UserError(f"--port {port} is not a port number")
    web = app.config.web
    tls = None
    if web["tls_cert"] or web["tls_key"]:
        if not (web["tls_cert"] and web["tls_key"]):
            raise UserError("[web] needs both tls_cert and tls_key, or neither")
        tls = Tls(Path(web["tls_cert"]).expanduser(), Path(web["tls_key"]).expanduser())
    try:
        server = make_server(
            Site(app.service, at=at),
            host,
            port,
            tls=tls,
            allow_remote=allow_remote,
            names=web["names"],
        )
    except OSError as exc:
        raise UserError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            advice="pick another --port, or stop what is using it",
        ) from exc
    when = f", as of {at.isoformat()}" if at else ""
    if console.is_terminal:
        console.print(
            f"review page: {link(server.url, access_token(app.service))}{when}\n"
            "(open this link: the page opens only with its token; Ctrl-C stops it)",
            soft_wrap=True,
        )
    else:  # a journal or a file: the token stays out of logs; `serve --url` gives the link
        console.print(
            f"review page: {server.url}{when} (run `{_url_command(app)}` for its link)",
            soft_wrap=True,
        )
    try:
        server.run()
    except KeyboardInterrupt:
        console.print("review page stopped")
    finally:
        server.close()
    return 0


def _url_command(app: App) -> str:
    """The command that prints this page's link: the token belongs to the database, so a page
    on another database (the demo's, a --db) needs that --db named. A SQLite URL is a path and
    safe to print; another URL may carry a password, so it is only referred to."""
    from touchbase.agent.pipeline.config import default_db_url

    if app.db_url == default_db_url():
        return "touchbase serve --url"
    if app.db_url.startswith("sqlite:"):
        return f"touchbase --db {app.db_url} serve --url"
    return "touchbase --db URL serve --url, with this database's URL"

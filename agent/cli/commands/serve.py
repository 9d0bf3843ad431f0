"""`touchbase serve [--at ISO-8601]`: the review page, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime

from touchbase.agent.app import App, parse_at
from touchbase.agent.cli.output import console
from touchbase.agent.errors import UserError

log = logging.getLogger(__name__)
DEFAULT_PORT = 8765


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("serve", help="the review page in your browser")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only). Anything else "
        "exposes your drafts to the network; put it behind an authenticating proxy",
    )
    parser.add_argument(
        "--at",
        metavar="ISO-8601",
        help="show who is due and each person's standing as of this moment, not now "
        "(review an imported archive as of its own time)",
    )
    parser.set_defaults(func=run)


def run(app: App) -> int:
    return serve(app, app.args.port, app.args.host, parse_at(app.args.at))


def serve(app: App, port: int, host: str = "127.0.0.1", at: datetime | None = None) -> int:
    """Serve the review page until interrupted (also the end of `touchbase demo`)."""
    # Imported here, not at the top: Flask and waitress add about 0.25 s to the start of every
    # other command (each command module is imported to build the parser).
    from touchbase.agent.web.server import make_server
    from touchbase.agent.web.site import Site

    if not 0 <= port <= 65535:
        raise UserError(f"--port {port} is not a port number")
    try:
        server = make_server(Site(app.service, at=at), host, port)
    except OSError as exc:
        raise UserError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            advice="pick another --port, or stop what is using it",
        ) from exc
    when = f", as of {at.isoformat()}" if at else ""
    console.print(f"review page: {server.url}{when}  (Ctrl-C stops it)", soft_wrap=True)
    try:
        server.run()
    except KeyboardInterrupt:
        console.print("review page stopped")
    finally:
        server.close()
    return 0

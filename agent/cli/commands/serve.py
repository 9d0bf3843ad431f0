"""`touchbase serve`: the review page, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import argparse
import logging

from touchbase.agent.app import App
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
    parser.set_defaults(func=run)


def run(app: App) -> int:
    return serve(app, app.args.port, app.args.host)


def serve(app: App, port: int, host: str = "127.0.0.1") -> int:
    """Serve the review page until interrupted (also the end of `touchbase demo`)."""
    from touchbase.agent.web.server import make_server, site_for_app

    if not 0 <= port <= 65535:
        raise UserError(f"--port {port} is not a port number")
    try:
        server = make_server(site_for_app(app), host, port)
    except OSError as exc:
        raise UserError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            advice="pick another --port, or stop what is using it",
        ) from exc
    console.print(f"review page: {server.url}  (Ctrl-C stops it)", soft_wrap=True)
    try:
        server.run()
    except KeyboardInterrupt:
        console.print("review page stopped")
    finally:
        server.close()
    return 0

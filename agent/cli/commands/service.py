"""`touchbase service install`: write the systemd user units and say how to start them."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from touchbase.agent.app import App
from touchbase.agent.cli.output import console
from touchbase.agent.errors import UserError

if TYPE_CHECKING:
    from touchbase.agent.daemon.units import Install


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("service", help="install touchbase as a systemd user service")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="write the user units and print how to start")
    install.add_argument(
        "--dir",
        metavar="PATH",
        help="where to write the units (default: ~/.config/systemd/user)",
    )
    install.add_argument("--force", action="store_true", help="overwrite units already there")
    install.set_defaults(func=run_install)


def installation(app: App) -> Install:
    """The units' settings for this user: the real executable, options, writable folders."""
    from sqlalchemy.engine import make_url

    from touchbase.agent.daemon.units import Install
    from touchbase.agent.pipeline.config import data_dir

    found = shutil.which("touchbase")
    command = (str(Path(found).resolve()),) if found else (sys.executable, "-m", "touchbase.agent")
    options: list[str] = []
    if app.args.config:
        options += ["--config", str(Path(app.args.config).expanduser().resolve())]
    if app.args.db:
        options += ["--db", app.args.db]
    writable = [str(data_dir())]
    url = make_url(app.db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        # SQLite writes its -wal/-shm files and our lock file beside the database.
        folder = str(Path(url.database).expanduser().resolve().parent)
        if folder not in writable:
            writable.append(folder)
    return Install(command=command, options=tuple(options), writable=tuple(writable))


def run_install(app: App) -> int:
    from touchbase.agent.daemon.units import render
    from touchbase.agent.pipeline.config import data_dir

    target = Path(app.args.dir).expanduser() if app.args.dir else _user_unit_dir()
    units = render(installation(app))
    existing = [name for name in units if (target / name).exists()]
    if existing and not app.args.force:
        raise UserError(
            f"{', '.join(existing)} already in {target}",
            advice="run `touchbase service install --force` to replace them",
        )
    target.mkdir(parents=True, exist_ok=True)
    data_dir().mkdir(parents=True, exist_ok=True)  # ReadWritePaths= must exist to apply
    for name, text in units.items():
        (target / name).write_text(text, encoding="utf-8")
    console.print(f"wrote {', '.join(units)} to {target}", soft_wrap=True)
    console.print(
        "\nstart the daemon now and at every login:\n"
        "  systemctl --user daemon-reload\n"
        "  systemctl --user enable --now touchbase.service\n"
        "  loginctl enable-linger $USER   # keep it running while you are logged out\n"
        "or, instead of the daemon, one cycle every 15 minutes:\n"
        "  systemctl --user enable --now touchbase-sync.timer\n"
        "the review page:\n"
        "  systemctl --user enable --now touchbase-review.service\n"
        "watch it:\n"
        "  systemctl --user status touchbase\n"
        "  journalctl --user -u touchbase -f\n"
        "reload the configuration after editing it:\n"
        "  systemctl --user reload touchbase",
        soft_wrap=True,
    )
    return 0


def _user_unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"

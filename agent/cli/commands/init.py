"""`touchbase init`: write a commented starter configuration file."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from touchbase.agent.app import App
from touchbase.agent.cli.output import console
from touchbase.agent.errors import UserError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("init", help="write a commented starter configuration file")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(func=run)


def run(app: App) -> int:
    from touchbase.agent.pipeline.config import config_path

    path = Path(app.args.config).expanduser() if app.args.config else config_path()
    if path.exists() and not app.args.force:
        raise UserError(
            f"{path} already exists",
            advice="edit it, or run `touchbase init --force` to replace it",
        )
    if not path.parent.is_dir():
        # Only touchbase's own folders are made on demand: a typo in --config is not a reason
        # to create a tree of folders somewhere.
        if path != config_path():
            raise UserError(
                f"the folder {path.parent} does not exist (for {path})",
                advice=f"create it (mkdir -p {path.parent}), or choose another --config",
            )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = (
        resources.files("touchbase.agent.pipeline")
        .joinpath("starter.toml")
        .read_text(encoding="utf-8")
    )
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)  # it may gain secret *references* and personal addresses
    # Printed without markup (the console's default): "[me]" is a TOML table, not a style.
    console.print(
        f"wrote {path}\nnext: add your addresses under [me] and an [[account]], "
        "then run `touchbase sync`"
    )
    return 0

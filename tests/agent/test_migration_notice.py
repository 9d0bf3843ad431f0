"""An upgrade that migrates an existing database says so once (a large one may take a minute:
0012 keys every stored interaction), at WARNING so the console shows it on stderr and the daemon's
log keeps it; a new database is made without a word (issue 16)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from alembic import command

from touchbase.agent.pipeline.db import alembic_config, head_revisions, open_database

DB_LOG = "touchbase.agent.pipeline.db"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == DB_LOG and r.levelno >= 30]


def test_an_upgrade_says_what_the_wait_is_and_a_new_database_does_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'touchbase.db'}"
    with caplog.at_level(logging.INFO, logger=DB_LOG):
        engine = open_database(url).kw["bind"]
        assert _warnings(caplog) == []
        command.downgrade(alembic_config(engine), "0011")
        engine.dispose()
        caplog.clear()
        open_database(url).kw["bind"].dispose()
        heads = ", ".join(sorted(head_revisions() or ()))
        assert _warnings(caplog) == [
            f"updating the database schema from 0011 to {heads} (once after an upgrade; "
            "a large database may take a minute)"
        ]
        caplog.clear()
        open_database(url).kw["bind"].dispose()  # current now: nothing to say
        assert _warnings(caplog) == []

"""Opening a database that is already current loads no alembic (issue 16); one that is behind
still migrates, and one from a newer touchbase is still refused.

Whether alembic was loaded is read from `sys.modules` in a fresh child process: a test process
has it loaded already. Runs on SQLite and on a real PostgreSQL (the `db_url` fixture).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline import db

OPEN_AND_REPORT = """
import json, sys
from touchbase.agent.pipeline.db import open_database, stored_revisions
sessions = open_database({url!r})
with sessions.kw["bind"].connect() as connection:
    stored = sorted(stored_revisions(connection))
loaded = sorted(m for m in sys.modules if m == "alembic" or m.startswith("alembic."))
print(json.dumps({{"stored": stored, "alembic": bool(loaded)}}))
"""


def open_in_child(url: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_REPORT.format(url=url)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return sorted(ScriptDirectory.from_config(db.alembic_config(None)).get_heads())  # type: ignore[arg-type]


def test_the_heads_read_from_the_files_are_alembics() -> None:
    """head_revisions() stands in for alembic on every start: it must name the same head, also
    after the next engineer adds a revision."""
    assert sorted(db.head_revisions() or ()) == heads()


def test_a_current_database_opens_without_alembic(db_url: str) -> None:
    db.open_database(db_url).kw["bind"].dispose()  # made and migrated to the head
    seen = open_in_child(db_url)
    assert seen == {"stored": heads(), "alembic": False}


def test_a_new_database_is_migrated(db_url: str) -> None:
    seen = open_in_child(db_url)
    assert seen == {"stored": heads(), "alembic": True}


def test_a_database_behind_is_migrated_to_the_head(db_url: str) -> None:
    from alembic import command

    engine = db.make_engine(db_url)
    command.upgrade(db.alembic_config(engine), "0007")  # as an older touchbase left it
    engine.dispose()
    seen = open_in_child(db_url)
    assert seen == {"stored": heads(), "alembic": True}
    engine = db.make_engine(db_url)
    with engine.connect() as connection:  # 0008's column is there: the migration did run
        connection.execute(text("SELECT version FROM interactions"))
    engine.dispose()


def test_a_database_from_a_newer_touchbase_is_refused(db_url: str) -> None:
    engine = db.open_database(db_url).kw["bind"]
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(UserError, match="newer touchbase"):
        db.migrate(engine)
    engine.dispose()


# --- the head, read from a versions folder's files, equals alembic's for any history ----------

HEADER = '"""{doc}"""\n\nfrom __future__ import annotations\n\n'


def write_revision(folder: Path, n: int, parents: list[int], style: int) -> None:
    """A revision file as script.py.mako writes one (style 0), with a typed assignment as newer
    alembic templates write (1), or a merge's tuple over several lines (2)."""
    names = [f"r{p:03d}" for p in parents]
    if not names:
        down = "None"
    elif len(names) == 1 and style != 2:
        down = repr(names[0])
    else:
        down = "(\n    " + ",\n    ".join(repr(x) for x in names) + ",\n)"
    typed = ": str" if style == 1 else ""
    typed_down = ": str | tuple[str, ...] | None" if style == 1 else ""
    (folder / f"r{n:03d}_step.py").write_text(
        HEADER.format(doc=f"step {n}; revision = 'not this' in a docstring")
        + f'revision{typed} = "r{n:03d}"\ndown_revision{typed_down} = {down}\n'
        + "branch_labels = None\ndepends_on = None\n\n\n"
        + "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    )


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[list[int], int]]:
    """Revisions 0..n-1; each after one or two earlier ones (a branch, a merge), the first after
    none; and how each file is written."""
    count = draw(st.integers(1, 8))
    made: list[tuple[list[int], int]] = [([], draw(st.integers(0, 2)))]
    for n in range(1, count):
        parents = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
        made.append((sorted(parents), draw(st.integers(0, 2))))
    return made


@settings(max_examples=40, deadline=None)
@given(histories())
def test_heads_in_any_history_are_alembics(history: list[tuple[list[int], int]]) -> None:
    from alembic.script import ScriptDirectory

    with tempfile.TemporaryDirectory() as folder:
        versions = Path(folder) / "versions"
        versions.mkdir()
        for n, (parents, style) in enumerate(history):
            write_revision(versions, n, parents, style)
        expected = set(ScriptDirectory(folder).get_heads())
        assert db.heads_in(versions) == expected


def test_a_file_that_cannot_be_read_leaves_the_decision_to_alembic(tmp_path: Path) -> None:
    write_revision(tmp_path, 0, [], 0)
    (tmp_path / "r001_odd.py").write_text("REVISION = make_it()\n")
    assert db.heads_in(tmp_path) is None

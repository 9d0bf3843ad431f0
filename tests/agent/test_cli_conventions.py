"""The CLI as people and scripts use it (issue 17), through the real console script.

Each test runs `.venv/bin/touchbase` in a subprocess with its own XDG folders, so output goes
to a pipe (as in a script), exit codes are the process's own, and nothing touches the user's
real data folder.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.agent.draftfixtures import make_drafts, request
from tests.conftest import REPO
from touchbase.agent.cli.examples import EXAMPLES, walk
from touchbase.agent.cli.main import build_parser
from touchbase.agent.pipeline.db import open_database

TOUCHBASE = str(Path(sys.executable).with_name("touchbase"))


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        "TOUCHBASE_SECRETS": "file",
        "COLUMNS": "80",
    }
    env.pop("TOUCHBASE_DB", None)
    env.update(extra)
    return env


def tb(
    tmp_path: Path, *args: str, input: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TOUCHBASE, *args],
        capture_output=True,
        text=True,
        input=input,
        env=env_for(tmp_path, **env),
        cwd=REPO,
        timeout=120,
    )


def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "xdg-data" / "touchbase"


def mbox(path: Path, *, to: str = "keith.holst@enron.com", count: int = 3) -> Path:
    messages = []
    for i in range(count):
        messages.append(
            f"From me@example.org Mon Jan  1 00:00:00 2024\n"
            f"From: Phillip Allen <me@example.org>\nTo: {to}\n"
            f"Subject: Gas prices {i}\nDate: Mon, {i + 1} Jan 2024 10:00:00 +0000\n"
            f"Message-ID: <m{i}.{path.name}@example.org>\n\nbody\n\n"
        )
    path.write_text("".join(messages))
    return path


# --- conventions: version, help, completion, exit codes ------------------------------------


def test_version() -> None:
    done = subprocess.run([TOUCHBASE, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("touchbase ") and done.stdout.strip() != "touchbase"


def test_every_help_has_an_example() -> None:
    parser = build_parser()
    for words, each in walk(parser):
        text = each.format_help()
        assert "\nexample" in text, f"touchbase {' '.join(words)} --help has no example"
        assert " ".join(words) in EXAMPLES
    done = subprocess.run(
        [TOUCHBASE, "drafts", "approve", "--help"], capture_output=True, text=True, check=True
    )
    assert "  touchbase drafts approve 4 7\n" in done.stdout  # kept as written, not re-wrapped


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(tmp_path: Path, shell: str) -> None:
    done = tb(tmp_path, "completion", shell)
    assert done.returncode == 0, done.stderr
    assert "touchbase" in done.stdout and "_ARGCOMPLETE" in done.stdout
    if shell == "fish":
        assert "complete --command touchbase" in done.stdout


def complete_in_bash(tmp_path: Path, line: str, **env: str) -> list[str]:
    """What bash offers for `line` with the script `touchbase completion bash` prints."""
    script = tb(tmp_path, "completion", "bash").stdout
    (tmp_path / "completion.bash").write_text(script)
    words = line.split(" ")
    program = (
        f"source {tmp_path / 'completion.bash'}\n"
        f"COMP_LINE={json.dumps(line)}; COMP_POINT={len(line)}\n"
        f"COMP_WORDS=({' '.join(json.dumps(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        'complete -p touchbase >/dev/null && _python_argcomplete touchbase "${COMP_WORDS[-1]}"\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env_path = f"{Path(TOUCHBASE).parent}:{os.environ['PATH']}"
    done = subprocess.run(
        ["bash", "-c", program],
        capture_output=True,
        text=True,
        env=env_for(tmp_path, PATH=env_path, **env),
        timeout=60,
    )
    return [w.strip() for w in done.stdout.splitlines() if w.strip()]


def test_bash_completes_subcommands_options_and_account_names(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[account]]\nname = "work-mail"\ntype = "files"\npath = "/tmp"\n')
    assert "drafts" in complete_in_bash(tmp_path, "touchbase dr")
    assert "--quarantine" in complete_in_bash(tmp_path, "touchbase status --q")
    assert complete_in_bash(tmp_path, f"touchbase --config {config} sync --account wo") == [
        "work-mail"
    ]


def test_exit_codes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    assert tb(tmp_path, "--db", db, "status").returncode == 0
    assert tb(tmp_path, "--db", db, "no-such-command").returncode == 2
    assert tb(tmp_path, "--config", str(tmp_path / "missing.toml"), "sync").returncode == 2
    # 1: the command ran but an account failed (nothing listens on port 9 of loopback).
    config = tmp_path / "config.toml"
    config.write_text(
        '[[account]]\nname = "mail"\ntype = "imap"\nhost = "127.0.0.1"\nport = 9\n'
        'username = "u"\nsecurity = "plain"\npassword = { env = "PW" }\n'
    )
    failed = tb(tmp_path, "--config", str(config), "--db", db, "sync", PW="x")
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr


def test_interrupted_is_130(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    (draft,) = make_drafts(open_database(url), [request()])
    proc = subprocess.Popen(
        [TOUCHBASE, "--db", url, "drafts", "edit", str(draft)],
        env=env_for(tmp_path, EDITOR=f"{sys.executable} -c 'import time; time.sleep(60)'"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    assert "editing draft" in proc.stderr.readline()  # the editor is being started
    time.sleep(0.2)
    # Ctrl-C as a terminal sends it: to the foreground group, the editor too. Sent to touchbase
    # alone, a SIGINT inside the editor's fork left the editor holding the pipes for its 60 s
    # (CI, a loaded machine), which no terminal does.
    os.killpg(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err


def test_readme_documents_the_exit_codes() -> None:
    readme = (REPO / "README.md").read_text()
    for code in ("0", "1", "2", "130"):
        assert f"| {code} |" in readme


# --- piped output is plain and whole --------------------------------------------------------


def test_piped_tables_are_whole_tab_separated_lines(tmp_path: Path) -> None:
    long = "keith.holst.with.a.rather.long.local.part@enron-energy-services.example.com"
    path = mbox(tmp_path / "sent.mbox", to=long)
    db = f"sqlite:///{tmp_path / 't.db'}"
    assert tb(tmp_path, "--db", db, "import", str(path), "--me", "me@example.org").returncode == 0
    people = tb(tmp_path, "--db", db, "people", "--at", "2024-02-01T00:00:00+00:00")
    lines = people.stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["name", "address"]
    assert lines[1].split("\t")[1] == long
    status = tb(tmp_path, "--db", db, "status")
    assert f"import:{path}\tfiles\t3 interactions, up to 2024-01-03" in status.stdout
    assert '{"' not in status.stdout  # the raw cursor is for --json only
    raw = json.loads(tb(tmp_path, "--db", db, "status", "--json").stdout)
    assert raw["accounts"][0]["cursor"] is not None


def test_a_piped_body_is_exactly_the_draft(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    (draft,) = make_drafts(open_database(url), [request()])
    body = json.loads(tb(tmp_path, "--db", url, "drafts", "show", str(draft), "--json").stdout)[
        "body"
    ]
    shown = tb(tmp_path, "--db", url, "drafts", "show", str(draft)).stdout
    assert shown.endswith(body if body.endswith("\n") else body + "\n")


# --- run and daemon, imports, accounts ------------------------------------------------------


def test_run_is_one_cycle_and_explains_imports(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    path = mbox(tmp_path / "old.mbox")
    tb(tmp_path, "--db", db, "import", str(path), "--me", "me@example.org")
    done = tb(tmp_path, "--db", db, "run")
    assert done.returncode == 0, done.stderr
    assert "imports are one-off" in done.stderr
    assert f'path = "{path}"' in done.stderr and 'type = "files"' in done.stderr
    assert tb(tmp_path, "--db", db, "run", "--once").returncode == 0


def test_imports_are_listed_apart_and_forgotten_with_their_interactions(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    keep, wrong = mbox(tmp_path / "keep.mbox"), mbox(tmp_path / "wrong.mbox")
    config = tmp_path / "config.toml"
    config.write_text(f'[[account]]\nname = "archive"\ntype = "files"\npath = "{keep}"\n')
    base = ["--config", str(config), "--db", db]
    tb(tmp_path, *base, "sync")
    tb(tmp_path, *base, "import", str(wrong), "--me", "me@example.org")
    status = tb(tmp_path, *base, "status").stdout
    assert status.index("configured accounts:") < status.index("archive")
    assert status.index("imports (one-off") < status.index(f"import:{wrong}")
    refused = tb(tmp_path, *base, "accounts", "forget", f"import:{wrong}")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    forgot = tb(tmp_path, *base, "accounts", "forget", f"import:{wrong}", "--yes", "--json")
    assert json.loads(forgot.stdout) == {
        "account": f"import:{wrong}",
        "interactions": 3,
        "quarantined": 0,
    }
    names = [
        a["account"] for a in json.loads(tb(tmp_path, *base, "status", "--json").stdout)["accounts"]
    ]
    assert names == ["archive"]
    missing = tb(tmp_path, *base, "accounts", "forget", "nope", "--yes")
    assert missing.returncode == 2 and "archive" in missing.stderr


def test_quarantine_reasons_do_not_repeat_their_file(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "python3.11").write_bytes(b"\x7fELF\x00\x00binary")
    db = f"sqlite:///{tmp_path / 't.db'}"
    tb(tmp_path, "--db", db, "import", str(folder))
    shown = tb(tmp_path, "--db", db, "status", "--quarantine").stdout
    assert f"import:{folder}: python3.11: binary file, not a message" in shown
    assert "python3.11: python3.11" not in shown


# --- no silent side effects; private files ---------------------------------------------------


def test_a_database_in_a_missing_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir"
    done = tb(tmp_path, "--db", f"sqlite:///{target}/tb.db", "status")
    assert done.returncode == 2
    assert f"the folder {target} does not exist" in done.stderr
    assert not (tmp_path / "nonexistent").exists()


def test_the_data_folder_and_database_are_private_under_umask_022(tmp_path: Path) -> None:
    def start(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", "-c", 'umask 022; exec "$@"', "sh", TOUCHBASE, *args],
            capture_output=True,
            text=True,
            env=env_for(tmp_path),
            timeout=120,
        )

    assert start("status").returncode == 0
    folder = data_dir(tmp_path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    # An install from before: world-readable files in a 0755 folder are fixed on start.
    folder.chmod(0o755)
    database = folder / "touchbase.db"
    for name in ("touchbase.db", "touchbase.db-wal", "touchbase.db-shm"):
        (folder / name).touch()
        (folder / name).chmod(0o644)
    done = start("status")
    assert done.returncode == 0
    assert f"made private (only you may read it now): {database} (was 0644)" in done.stderr
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("touchbase.db", "touchbase.db-wal", "touchbase.db-shm"):
        if (folder / name).exists():  # SQLite removes the -wal and -shm it no longer needs
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600


def test_init_makes_only_its_own_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "no" / "such" / "config.toml"
    refused = tb(tmp_path, "--config", str(elsewhere), "init")
    assert refused.returncode == 2 and f"the folder {elsewhere.parent} does not exist" in (
        refused.stderr
    )
    assert not (tmp_path / "no").exists()
    made = tb(tmp_path, "init")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "xdg-config" / "touchbase" / "config.toml").is_file()

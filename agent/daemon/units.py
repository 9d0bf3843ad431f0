"""The systemd user units, rendered for one installation (`touchbase service install`).

The files in the repository's systemd/ folder are this module's output for a pipx-style install
(`%h/.local/bin/touchbase`); a test keeps them identical. Installing renders them again with the
real executable, any --config / --db given, and the folders touchbase writes to, because
ProtectSystem=strict + ProtectHome=read-only make everything else read-only (systemd.exec(5)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_COMMAND = ("%h/.local/bin/touchbase",)
DEFAULT_WRITABLE = ("%h/.local/share/touchbase",)
NAMES = (
    "touchbase.service",
    "touchbase-sync.service",
    "touchbase-sync.timer",
    "touchbase-review.service",
)


@dataclass(frozen=True)
class Install:
    """What differs between installations."""

    command: Sequence[str] = (
        DEFAULT_COMMAND  # the touchbase executable (or python -m touchbase.agent)
    )
    options: Sequence[str] = ()  # global options, e.g. ("--config", "/path/config.toml")
    writable: Sequence[str] = DEFAULT_WRITABLE  # folders touchbase writes (data, SQLite)


def quote(word: str, *, specifiers: bool) -> str:
    """One ExecStart= word: systemd's own quoting, with "%" doubled unless it is a specifier."""
    if not specifiers:
        word = word.replace("%", "%%")
    if word and not any(c in word for c in " \t\"'\\;$"):
        return word
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$")
    return f'"{escaped}"'


def _exec(install: Install, *args: str) -> str:
    default = tuple(install.command) == DEFAULT_COMMAND
    words = [quote(w, specifiers=default) for w in install.command]
    words += [quote(w, specifiers=False) for w in (*install.options, *args)]
    return " ".join(words)


def _sandbox(install: Install) -> str:
    default = tuple(install.writable) == DEFAULT_WRITABLE
    # "-": a folder that does not exist yet is skipped rather than failing the start.
    paths = " ".join("-" + quote(p, specifiers=default) for p in install.writable)
    return f"""\
# Sandboxing (systemd.exec(5)). touchbase needs the network, its own data folder and the
# keyring's D-Bus socket; the rest of the system and the home folder are read-only to it.
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={paths}
PrivateTmp=yes
UMask=0077
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
"""


def render(install: Install | None = None) -> dict[str, str]:
    """File name -> text of each unit."""
    install = install or Install()
    sandbox = _sandbox(install)
    return {
        "touchbase.service": f"""\
[Unit]
Description=touchbase: syncs mail and meeting metadata and drafts messages for review
# touchbase never sends mail; drafts wait in your Drafts folder.

[Service]
Type=notify
ExecStart={_exec(install, "daemon")}
ExecReload=/bin/kill -HUP $MAINPID
# A crash restarts it; nothing is lost (every page is stored with its cursor). Exit status 2
# is a problem a person must fix (configuration, lock held), which restarting cannot fix.
Restart=on-failure
RestartSec=30s
RestartPreventExitStatus=2
# SIGTERM finishes the page being stored and exits within seconds.
TimeoutStopSec=20s
# The main loop pings between pages and while idle; a hung loop is restarted.
WatchdogSec=5min
{sandbox}
[Install]
WantedBy=default.target
""",
        "touchbase-sync.service": f"""\
[Unit]
Description=touchbase: one cycle (sync what is due, draft), for touchbase-sync.timer
# Use either this timer or touchbase.service, not both (the second one waits for the lock).

[Service]
Type=oneshot
ExecStart={_exec(install, "run", "--once")}
TimeoutStartSec=1h
{sandbox}""",
        "touchbase-sync.timer": """\
[Unit]
Description=touchbase: run one cycle every 15 minutes

[Timer]
OnCalendar=*:0/15
# Catch up on a cycle missed while the machine was off or asleep.
Persistent=true
AccuracySec=30s

[Install]
WantedBy=timers.target
""",
        "touchbase-review.service": f"""\
[Unit]
Description=touchbase: the review page for drafts (http://127.0.0.1)

[Service]
Type=simple
ExecStart={_exec(install, "serve")}
Restart=on-failure
RestartSec=10s
RestartPreventExitStatus=2
{sandbox}
[Install]
WantedBy=default.target
""",
    }

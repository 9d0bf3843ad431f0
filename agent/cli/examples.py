"""An example under every `--help`: one table here, keyed by the command's words, so that the
examples are read (and kept current) together, and a test can check that none is missing."""

from __future__ import annotations

import argparse

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "touchbase init                       # write a starter configuration",
        "touchbase import ~/mail/Sent.mbox --me you@example.com",
        "touchbase people | sort -t$'\\t' -k3  # piped: tab-separated, whole",
        "touchbase drafts                     # review what touchbase proposes",
    ),
    "init": ("touchbase init", "touchbase --config ./touchbase.toml init --force"),
    "import": (
        "touchbase import ~/mail/Sent.mbox --me you@example.com",
        "touchbase import ~/Maildir ~/calendar.ics --json",
    ),
    "sync": ("touchbase sync", "touchbase sync --account work --json"),
    "status": ("touchbase status", "touchbase status --quarantine", "touchbase status --json"),
    "people": (
        "touchbase people --due",
        "touchbase people --limit 50 --json",
        "touchbase people merge mike@old.example mike@new.example",
    ),
    "person": (
        'touchbase person "Mike Grigsby"',
        "touchbase person mike@example.com --json",
        "touchbase person mike@example.com --set cadence=30",
    ),
    "me": ("touchbase me", "touchbase me add you@work.example"),
    "introduce": (
        'touchbase introduce ann@acme.example ben@globex.example --note "both work on storage"',
    ),
    "introductions": ("touchbase introductions", "touchbase introductions accept 3"),
    "demo": ("touchbase demo", "touchbase demo --no-serve --json"),
    "auth": ("touchbase auth work", "touchbase auth outlook --browser"),
    "contacts": ("touchbase contacts import ~/contacts.vcf",),
    "drafts": ("touchbase drafts", "touchbase drafts --all --json"),
    "drafts show": ("touchbase drafts show 4", "touchbase drafts show 4 --json"),
    "drafts edit": ("touchbase drafts edit 4", "VISUAL=nano touchbase drafts edit 4"),
    "drafts approve": ("touchbase drafts approve 4 7", "touchbase drafts approve 4 --no-push"),
    "drafts reject": ('touchbase drafts reject 4 --reason "we spoke on the phone"',),
    "drafts snooze": ("touchbase drafts snooze 4 --days 7",),
    "drafts create": (
        "touchbase drafts create",
        "touchbase drafts create --at 2001-05-01T09:00:00+00:00",
    ),
    "serve": (
        "touchbase serve            # then open the printed http://127.0.0.1:8765/?token=...",
        "touchbase serve --url      # the link again, for the running review service",
    ),
    "plan": ("touchbase plan", "touchbase plan --at 2001-05-01T09:00:00+00:00 --json"),
    "daemon": ("touchbase daemon", "touchbase daemon --log-format json"),
    "run": ("touchbase run", "touchbase run --force"),
    "service": ("touchbase service install",),
    "service install": ("touchbase service install", "touchbase service install --force"),
    "accounts": ("touchbase accounts",),
    "accounts forget": (
        "touchbase accounts forget import:/tmp/wrong.mbox",
        "touchbase accounts forget old-work --yes",
    ),
    "completion": (
        "touchbase completion bash > ~/.local/share/bash-completion/completions/touchbase",
        "touchbase completion zsh > ~/.zfunc/_touchbase",
        "touchbase completion fish > ~/.config/fish/completions/touchbase.fish",
    ),
}


class ExampleFormatter(argparse.HelpFormatter):
    """argparse's own layout, but the examples keep their lines (argparse re-wraps all text)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("example"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def walk(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser in the tree with the words that reach it (the top one has none)."""
    found = [(words, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += walk(child, (*words, name))
    return found


def add_examples(parser: argparse.ArgumentParser) -> None:
    """Put each command's examples under its help, kept as written (not re-wrapped)."""
    for words, each in walk(parser):
        lines = EXAMPLES.get(" ".join(words))
        if not lines:
            continue
        if each.formatter_class is argparse.HelpFormatter:
            each.formatter_class = ExampleFormatter
        listed = "\n".join(f"  {line}" for line in lines)
        each.epilog = f"{'examples' if len(lines) > 1 else 'example'}:\n{listed}"

"""The layout the design promises: one installed namespace, and imports that point one way.

docs/architecture.md draws the same rules; these tests keep it true.
"""

from __future__ import annotations

import ast
import functools
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOPS = ("agent", "connectors", "rules")


def _modules() -> list[tuple[str, Path]]:
    """(installed module name, file) for every module of the three folders."""
    found = []
    for top in TOPS:
        for path in sorted((REPO / top).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append(("touchbase." + ".".join(parts), path))
    return found


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path) -> list[str]:
    """Every module `path` imports, absolute (relative imports are not used here)."""
    names = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            names += [node.module or ""]
    return names


DATA = (".j2", ".html", ".css")  # templates and static files: data-only folders


def test_every_package_is_installed() -> None:
    """pyproject lists each package by hand (package-dir maps the folders under touchbase.):
    a new folder with an __init__.py, or of templates or static files, must be listed, or a
    wheel would leave it out (and setuptools warns at every install)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    folders = {
        "touchbase." + ".".join(path.parent.relative_to(REPO).parts)
        for top in TOPS
        for path in (REPO / top).rglob("*")
        if path.name == "__init__.py" or path.suffix in DATA
    }
    assert folders - listed == set(), "add these to [tool.setuptools] packages"


def test_imports_name_the_namespace_and_point_one_way() -> None:
    """Code imports touchbase.agent / .connectors / .rules, never the bare folder names (which
    would load a second copy of a module); rules/ imports neither of the others; connectors/
    never imports agent/."""
    wrong = []
    for module, path in _modules():
        for name in _imports(path):
            bare = name.split(".")[0] in TOPS
            upward = module.startswith("touchbase.rules") and name.startswith(
                ("touchbase.agent", "touchbase.connectors")
            )
            upward |= module.startswith("touchbase.connectors") and name.startswith(
                "touchbase.agent"
            )
            if bare or upward:
                wrong.append(f"{module} imports {name}")
    assert wrong == []


# Front ends: the CLI (with agent/app.py, its per-command context), the review page and the
# daemon. They reach the pipeline through agent/service only; these few names are values and
# types they may take directly (docs/architecture.md lists them and says why each is harmless).
FRONT_ENDS = ("touchbase.agent.cli", "touchbase.agent.web", "touchbase.agent.daemon")
HARMLESS = {
    "touchbase.agent.pipeline.config": {
        "AccountConfig",
        "Config",
        "Me",
        "config_path",
        "data_dir",
        "default_db_url",
        "load_config",
    },
    "touchbase.agent.pipeline.models": {"Account", "Draft"},
    "touchbase.agent.pipeline.drafts.lifecycle": {
        "OPEN",
        "addresses",
        "ids",
        "reasons",
        "recipients",
        "split_recipient",
    },
    "touchbase.rules.addresses": {"normalise"},
    "touchbase.rules.contacts": {"Contact"},
    "touchbase.rules.decide": {"Plan", "is_due"},
    "touchbase.rules.decision": {"Held"},
    "touchbase.rules.standing": {"Standing", "is_due"},
    "touchbase.connectors.errors": {"ConnectorError"},
}
BEHIND_THE_SERVICE = ("touchbase.agent.pipeline", "touchbase.rules", "touchbase.connectors")


def _imported_names(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for `from module import name`, (module, None) for `import module`."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [(node.module or "", alias.name) for alias in node.names]
    return found


def _front_end(module: str) -> bool:
    return module == "touchbase.agent.app" or module.startswith(FRONT_ENDS)


def test_front_ends_reach_the_pipeline_only_through_the_service() -> None:
    """agent/cli, agent/web and agent/daemon open no account, evaluate no rule and write no
    draft themselves: beyond the harmless names above, they import agent/service."""
    wrong = []
    for module, path in _modules():
        if not _front_end(module):
            continue
        for name, what in _imported_names(path):
            full = f"{name}.{what}" if what else name
            if not full.startswith(BEHIND_THE_SERVICE):
                continue
            if what is None or what not in HARMLESS.get(name, set()):
                wrong.append(f"{module} imports {full}")
    assert wrong == []


def test_the_layers_point_one_way() -> None:
    """front ends -> service -> pipeline -> connectors and rules. The service and the pipeline
    never import a front end, the pipeline never imports the service, the daemon and the review
    page never import each other (the CLI starts both), and the demo sample imports nothing of
    touchbase but itself."""
    wrong = []
    for module, path in _modules():
        for name in _imports(path):
            if not name.startswith("touchbase."):
                continue
            if module.startswith(("touchbase.agent.service", "touchbase.agent.pipeline")):
                upward = _front_end(name)
                upward |= module.startswith("touchbase.agent.pipeline") and name.startswith(
                    "touchbase.agent.service"
                )
            elif module.startswith("touchbase.agent.daemon"):
                upward = name.startswith(("touchbase.agent.web", "touchbase.agent.cli"))
                upward |= name == "touchbase.agent.app"
            elif module.startswith("touchbase.agent.web"):
                upward = name.startswith(("touchbase.agent.daemon", "touchbase.agent.cli"))
                upward |= name == "touchbase.agent.app"
            elif module.startswith("touchbase.agent.demo"):
                upward = not name.startswith("touchbase.agent.demo")
            else:
                continue
            if upward:
                wrong.append(f"{module} imports {name}")
    assert wrong == []


def test_installing_adds_no_top_level_agent_or_rules(tmp_path: Path) -> None:
    """Outside the repository (whose folders pytest puts on sys.path), only touchbase exists."""
    code = (
        "import importlib.util as u;"
        "print([n for n in ('agent', 'connectors', 'rules') if u.find_spec(n)],"
        " u.find_spec('touchbase.rules.decide') is not None)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert out.stdout.split() == ["[]", "True"]


def test_the_wheel_carries_the_code_and_every_data_file(tmp_path: Path) -> None:
    """A real install (not the editable one the tests run from) has the templates, migrations,
    the starter configuration and the shipped policy: package-data globs are easy to get wrong."""
    source = tmp_path / "src"  # a copy: building in place would leave build/ in the checkout
    ignore = shutil.ignore_patterns("__pycache__")
    for top in TOPS:
        shutil.copytree(REPO / top, source / top, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("touchbase-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        "touchbase/" + str(path.relative_to(REPO))
        for top in TOPS
        for path in (REPO / top).rglob("*")
        if path.is_file()
        and path.suffix in (".py", ".j2", ".html", ".css", ".toml", ".mako")
        and "__pycache__" not in path.parts
    }
    assert shipped - names == set()
    assert not any(n.split("/")[0] in TOPS for n in names)

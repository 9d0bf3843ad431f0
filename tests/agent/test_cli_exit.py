"""The console script's exit (agent/cli/main.py leave): the exit code, exit handlers and the
standard streams as Python's own exit gives them, without freeing every object first."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAM = """
import atexit, sys, threading, time
from touchbase.agent.cli.main import leave

class Freed:
    def __del__(self):
        print("freed", end="", file=sys.stderr)

kept = Freed()  # freed only by the interpreter's teardown
atexit.register(lambda: print(" handler", end=""))
print("out", end="")
print("err", end="", file=sys.stderr)
if sys.argv[1] == "thread":  # a non-daemon thread still running: Python's own exit joins it
    threading.Thread(target=lambda: (time.sleep(0.2), print(" thread", end=""))).start()
leave(int(sys.argv[2]))
"""


@pytest.mark.parametrize("code", [0, 1, 2, 70])
def test_leave_exits_with_the_code_after_the_handlers_and_the_flush(code: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "plain", str(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code
    assert done.stdout == "out handler"
    assert done.stderr == "err"  # no teardown: the object was never freed one by one


def test_a_running_thread_gets_pythons_own_exit() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "thread", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == "out thread handler"
    assert done.stderr == "errfreed"

"""`python -m agent` is the touchbase command."""

from agent.cli import run

run()

"""`python -m touchbase.agent` is the touchbase command."""

from touchbase.agent.cli.main import run

run()

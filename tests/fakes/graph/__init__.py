"""A local fake Microsoft Graph and identity endpoint for the Outlook connector's tests."""

from tests.fakes.graph.identity import LoopbackSession
from tests.fakes.graph.server import FakeGraph

__all__ = ["FakeGraph", "LoopbackSession"]

"""The Outlook connector passes the Source and DraftSink contract suites against the fake Graph."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract import DraftSinkContract, FaultContract, SourceContract
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import GraphWorld


@pytest.fixture
def graph_world() -> Iterator[GraphWorld]:
    with FakeGraph() as fake:
        world = GraphWorld(fake)
        yield world
        world.close()
        assert fake.send_attempts() == []


class TestGraphSource(SourceContract):
    @pytest.fixture
    def world(self, graph_world: GraphWorld) -> Iterator[GraphWorld]:
        yield graph_world


class TestGraphSourceSyncStateNotFound(SourceContract):
    """The same promises when expiry comes as a syncStateNotFound code, not a 410."""

    @pytest.fixture
    def world(self, graph_world: GraphWorld) -> Iterator[GraphWorld]:
        graph_world.fake.expiry_mode = "syncStateNotFound"
        yield graph_world


class TestGraphFaults(FaultContract):
    @pytest.fixture
    def world(self, graph_world: GraphWorld) -> Iterator[GraphWorld]:
        yield graph_world


class TestGraphDraftSink(DraftSinkContract):
    @pytest.fixture
    def world(self, graph_world: GraphWorld) -> Iterator[GraphWorld]:
        yield graph_world

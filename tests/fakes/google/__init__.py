"""A local fake Google (Gmail v1, Calendar v3, OAuth 2.0) for tests and benchmarks.

Start one with `FakeGoogle().start()` (or as a context manager); point the connectors' `api_root`
at `fake.url`. It keeps every path it served in `fake.log` so tests can prove nothing was sent.
"""

from tests.fakes.google.server import FakeGoogle, Faults

__all__ = ["FakeGoogle", "Faults"]

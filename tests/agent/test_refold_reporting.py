"""contact_state._reporting passes every interaction on in order and reports progress exactly
as a count per interaction would: (0, total) first, every PROGRESS_EVERY-th, then the end."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from touchbase.agent.pipeline import contact_state


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=60), st.integers(min_value=1, max_value=12))
def test_reports_as_counted_one_by_one(n: int, every: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(contact_state, "PROGRESS_EVERY", every)
        reports: list[tuple[int, int]] = []
        items = [object() for _ in range(n)]
        out = list(contact_state._reporting(iter(items), n, lambda d, t: reports.append((d, t))))  # type: ignore[arg-type]
    assert out == items
    expected = [0, *(d for d in range(1, n + 1) if d % every == 0), n]
    assert reports == [(d, n) for d in expected]

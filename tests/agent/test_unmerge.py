"""agent/pipeline/identity.py unmerge (QA, task H7 item 6) on SQLite and PostgreSQL: any run of
merges and unmerges leaves each address with at most one person, an unmerged address alone,
and the other people as they were."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline import identity
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import ContactDirty, MergeSuggestion, Person, PersonAddress

T0 = datetime(2024, 1, 8, tzinfo=UTC)
ADDRESSES = [f"p{i}@x.test" for i in range(5)]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["merge", "unmerge"]),
        st.sampled_from(ADDRESSES),
        st.sampled_from(ADDRESSES),
    ),
    max_size=12,
)


def groups(session: Session) -> dict[str, frozenset[str]]:
    """Address -> every address of its person (an address nobody merged: itself alone)."""
    people: dict[int, set[str]] = {}
    for address, pid in session.execute(select(PersonAddress.address, PersonAddress.person_id)):
        people.setdefault(pid, set()).add(address)
    found = {a: frozenset({a}) for a in ADDRESSES}
    for members in people.values():
        for a in members:
            found[a] = frozenset(members)
    return found


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_merges_and_unmerges_keep_one_person_per_address(
    db_url: str, steps: list[tuple[str, str, str]]
) -> None:
    sessions = open_database(db_url)
    with sessions.begin() as session:  # each example starts from nobody merged
        for table in (PersonAddress, Person, MergeSuggestion, ContactDirty):
            session.execute(delete(table))
    for action, a, b in steps:
        with sessions.begin() as session:
            before = groups(session)
            if action == "merge":
                if a != b:
                    identity.merge(session, a, b, T0)
                    after = groups(session)
                    assert after[a] == after[b] == before[a] | before[b]
                continue
            if len(before[a]) == 1:
                with pytest.raises(UserError, match="is not merged with anyone"):
                    identity.unmerge(session, a, T0)
                continue
            _alone, others = identity.unmerge(session, a, T0)
            after = groups(session)
            assert after[a] == {a} and set(others) == before[a] - {a}
            for other in ADDRESSES:
                if other != a:
                    assert after[other] == before[other] - {a}
            declined = set(
                session.execute(
                    select(MergeSuggestion.address_a, MergeSuggestion.address_b).where(
                        MergeSuggestion.status == "declined"
                    )
                )
            )
            assert {tuple(sorted((a, o))) for o in others} <= declined
            marked = set(session.scalars(select(ContactDirty.address)))
            assert before[a] <= marked  # both people refold at the next evaluation

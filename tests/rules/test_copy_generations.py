"""The fold's copy keys live in two generations of COPY_DRIFT (issue 16: one dict of every
Message-ID held a million entries at 1M interactions): which messages are copies is what it
was with every key kept, for any stream in time order."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.factory import OWNER, T0, policy
from touchbase.rules.contacts import COPY_DRIFT, _Fold, _meeting_copies
from touchbase.rules.threads import copy_keys, subject_info
from touchbase.rules.types import MEETING, Interaction

STEPS = st.sampled_from(
    [
        timedelta(0),
        timedelta(seconds=1),
        timedelta(hours=5),
        COPY_DRIFT - timedelta(microseconds=1),
        COPY_DRIFT,
        COPY_DRIFT + timedelta(microseconds=1),
        COPY_DRIFT * 2,
        timedelta(days=40),
    ]
)


def copies_with_every_key(stream: list[tuple[datetime, int | None, list[int]]]) -> list[bool]:
    """The rule as it was: every (Message-ID, sender) key ever seen kept with its time."""
    seen: dict[int, datetime] = {}
    now_keys: set[int] = set()
    moment = None
    out = []
    for at, marker, now_hashes in stream:
        if at != moment:
            moment = at
            now_keys.clear()
        first = None if marker is None else seen.get(marker)
        if first is not None and abs(at - first) <= COPY_DRIFT:
            out.append(True)
            continue
        if any(k in now_keys for k in now_hashes):
            out.append(True)
            continue
        if marker is not None:
            seen[marker] = at
        now_keys.update(now_hashes)
        out.append(False)
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(STEPS, st.none() | st.integers(0, 6), st.lists(st.integers(0, 4), max_size=2)),
        max_size=60,
    )
)
def test_copies_are_what_they_were_with_every_key_kept(
    steps: list[tuple[timedelta, int | None, list[int]]],
) -> None:
    stream = []
    at = T0
    for step, marker, now_hashes in steps:
        at += step
        stream.append((at, marker, now_hashes))
    run = _Fold(OWNER, policy(), T0 + timedelta(days=10_000), None, False)
    found = [run._is_copy(at, marker, now_hashes) for at, marker, now_hashes in stream]
    assert found == copies_with_every_key(stream)


@settings(max_examples=200, deadline=None)
@given(
    st.none() | st.sampled_from(["uid-1@x", ""]),
    st.none() | st.sampled_from(["Standup", "Re:  Budget  review", "", "  "]),
    st.none() | STEPS,
)
def test_a_meetings_copy_keys_are_threads_copy_keys(
    uid: str | None, subject: str | None, length: timedelta | None
) -> None:
    """The fold hashes a meeting's same-moment keys from the title it reads once for them and
    for the series (contacts._meeting_copies): the keys threads.copy_keys gives."""
    ended = None if length is None else T0 + length
    item = Interaction(
        1, "a", MEETING, T0, (), subject=subject, ended_at=ended, message_id=uid or None
    )
    anytime, keys = copy_keys(item, True)
    assert anytime is None
    title = subject_info(subject).stripped
    assert _meeting_copies(item.message_id, ended, title) == [hash(k) for k in keys]

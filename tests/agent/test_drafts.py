"""Draft lifecycle, drafts as asked, exactly-once push, noticing sends, expiry; on SQLite and
PostgreSQL."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.agent.draftfixtures import ME, NOW, mail, make_drafts, request, store_interactions
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.compose.render import Drafter
from touchbase.agent.pipeline.compose.request import DraftKind, LastConversation
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.drafts import lifecycle, review
from touchbase.agent.pipeline.drafts.create import STALE, create_drafts
from touchbase.agent.pipeline.drafts.push import push, push_approved
from touchbase.agent.pipeline.drafts.sent import expire_not_due
from touchbase.agent.pipeline.models import Draft, Outbox, PersonAddress
from touchbase.connectors.base import Flag
from touchbase.connectors.errors import AuthError
from touchbase.connectors.memory import MemorySink

SEND_NAMES = ("send", "send_draft", "send_mail", "sendMail", "messages_send")


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    return open_database(db_url)


def _draft(sessions: sessionmaker[Session], draft_id: int) -> Draft:
    with sessions() as session:
        return lifecycle.get_draft(session, draft_id)


def _no_send(sink: MemorySink) -> None:
    assert set(sink.calls) <= {"push_draft", "find_draft"}
    assert not any(hasattr(sink, name) for name in SEND_NAMES)


def test_lifecycle_pending_approved_pushed_and_edits_kept(sessions: sessionmaker[Session]) -> None:
    (draft_id,) = make_drafts(sessions, [request()])
    assert _draft(sessions, draft_id).status == "pending"
    assert review.edit(
        sessions,
        draft_id,
        NOW,
        subject="Coffee?\r\nBcc: x@evil.example",
        body="Hi Jane,\n\nCoffee soon?\x00\n",
    )
    edited = _draft(sessions, draft_id)
    assert edited.edited and edited.subject == "Coffee? Bcc: x@evil.example"
    assert edited.body == "Hi Jane,\n\nCoffee soon?\n"
    sink = MemorySink()
    (result,) = review.approve(sessions, [draft_id], lambda d: sink, ME, NOW)
    assert result.ok
    pushed = _draft(sessions, draft_id)
    assert pushed.status == "pushed" and pushed.provider_draft_id == result.provider_id
    (stored,) = sink.drafts.values()
    parsed = email.message_from_bytes(stored.raw, policy=policy.default)
    assert parsed["Subject"] == "Coffee? Bcc: x@evil.example" and "Bcc" not in parsed
    assert parsed.get_content().replace("\r\n", "\n") == "Hi Jane,\n\nCoffee soon?\n"
    assert parsed["Message-ID"] == pushed.message_id
    with pytest.raises(UserError, match="pushed"):
        review.edit(sessions, draft_id, NOW, body="too late")
    _no_send(sink)


def test_reject_and_snooze_and_wake(sessions: sessionmaker[Session]) -> None:
    a, b = make_drafts(sessions, [request(), request(address="bob@example.com", name="Bob")])
    review.reject(sessions, [a], NOW, "not now")
    assert _draft(sessions, a).status_reason == "not now"
    with pytest.raises(UserError):
        review.snooze(sessions, a, NOW, 3)  # a rejected draft stays rejected
    review.snooze(sessions, b, NOW, 3)
    assert _draft(sessions, b).snoozed_until == NOW + timedelta(days=3)
    with sessions.begin() as session:
        assert lifecycle.wake_snoozed(session, NOW + timedelta(days=2)) == []
        assert lifecycle.wake_snoozed(session, NOW + timedelta(days=3)) == [b]
    assert _draft(sessions, b).status == "pending"


def test_drafts_are_made_exactly_as_asked_in_the_order_given(
    sessions: sessionmaker[Session],
) -> None:
    """No second pacing here (the rules' plan is final): every request becomes a draft, in
    order, whatever its due date, and each drafted person gets a Person row."""
    people = [
        request(address=f"p{i}@example.com", name=f"P{i}", due=NOW - timedelta(days=i % 3))
        for i in (5, 1, 7, 0, 3, 2, 6, 4)
    ]
    made = make_drafts(sessions, people)
    assert [lifecycle.addresses(_draft(sessions, i)) for i in made] == [
        list(r.addresses) for r in people
    ]
    with sessions() as session:
        owners = dict(session.execute(select(PersonAddress.address, PersonAddress.person_id)).all())
    assert [_draft(sessions, i).person_id for i in made] == [owners[r.addresses[0]] for r in people]


def test_a_stale_request_never_opens_a_second_draft(sessions: sessionmaker[Session]) -> None:
    """A plan made before another process drafted for the same person is stale for them."""
    (first,) = make_drafts(sessions, [request()])
    with sessions.begin() as session:
        again = create_drafts(
            session, [request(), request(address="bob@example.com")], Drafter(ME), NOW
        )
    assert len(again.created) == 1 and again.skipped == [("jane@example.com", STALE)]
    review.reject(sessions, [first], NOW)
    assert len(make_drafts(sessions, [request()])) == 1  # a rejection is the rules' business


def test_invalid_addresses_are_skipped_not_drafted(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        result = create_drafts(session, [request(address="x@y>, z@evil.example")], Drafter(ME), NOW)
    assert result.created == [] and result.skipped[0][1] == "no valid address"


def test_follow_up_is_threaded(sessions: sessionmaker[Session]) -> None:
    last = LastConversation(
        subject="Proposal",
        message_id="<p1@x.example>",
        references=("<p0@x.example>",),
        thread_id="t1",
        source_id="s1",
    )
    (draft_id,) = make_drafts(sessions, [request(kind=DraftKind.FOLLOW_UP, last=last)])
    sink = MemorySink()
    review.approve(sessions, [draft_id], lambda d: sink, ME, NOW)
    (stored,) = sink.drafts.values()
    parsed = email.message_from_bytes(stored.raw, policy=policy.default)
    assert parsed["Subject"] == "Re: Proposal"
    assert parsed["In-Reply-To"] == "<p1@x.example>"
    assert str(parsed["References"]).split() == ["<p0@x.example>", "<p1@x.example>"]
    assert (stored.thread_id, stored.reply_to_source_id) == ("t1", "s1")


def test_push_after_an_ambiguous_failure_finds_the_draft_instead_of_doubling(
    sessions: sessionmaker[Session],
) -> None:
    (draft_id,) = make_drafts(sessions, [request()])
    sink = MemorySink(ambiguous_failures=1)
    waits: list[float] = []
    (result,) = review.approve(sessions, [draft_id], lambda d: sink, ME, NOW, sleep=waits.append)
    assert result.ok and len(sink.drafts) == 1
    assert sink.calls == ["push_draft", "find_draft"]
    with sessions() as session:
        (outbox,) = session.scalars(select(Outbox)).all()
    assert outbox.state == "pushed" and outbox.attempts == 1
    assert outbox.idempotency_key == next(iter(sink.drafts.values())).idempotency_key
    # Pushing again (a second reviewer, the daemon) is a no-op.
    assert push(sessions, draft_id, sink, ME, NOW).ok and len(sink.drafts) == 1
    _no_send(sink)


def test_a_push_that_keeps_failing_stays_approved_and_resumes_with_a_lookup(
    sessions: sessionmaker[Session],
) -> None:
    (draft_id,) = make_drafts(sessions, [request()])
    sink = MemorySink(hard_failures=2)
    (result,) = review.approve(
        sessions, [draft_id], lambda d: sink, ME, NOW, attempts=2, sleep=lambda s: None
    )
    assert not result.ok and _draft(sessions, draft_id).status == "approved"
    assert sink.drafts == {}
    sink.calls.clear()
    (later,) = push_approved(sessions, lambda d: sink, ME, NOW, sleep=lambda s: None)
    assert later.ok and sink.calls == ["find_draft", "push_draft"] and len(sink.drafts) == 1


def test_a_crash_after_the_provider_stored_the_draft_is_not_doubled(
    sessions: sessionmaker[Session],
) -> None:
    (draft_id,) = make_drafts(sessions, [request()])
    sink = MemorySink(ambiguous_failures=5)  # every push stores, then "fails"
    result = None
    with sessions.begin() as session:
        lifecycle.approve(lifecycle.get_draft(session, draft_id), NOW)
    result = push(sessions, draft_id, sink, ME, NOW, attempts=1, sleep=lambda s: None)
    assert not result.ok and len(sink.drafts) == 1
    again = push(sessions, draft_id, sink, ME, NOW, attempts=1, sleep=lambda s: None)
    assert again.ok and len(sink.drafts) == 1 and sink.calls[-1] == "find_draft"


def test_an_auth_error_is_not_retried(sessions: sessionmaker[Session]) -> None:
    class Refusing(MemorySink):
        def push_draft(self, draft):  # type: ignore[no-untyped-def]
            self.calls.append("push_draft")
            raise AuthError("token revoked", advice="run touchbase auth")

    (draft_id,) = make_drafts(sessions, [request()])
    sink = Refusing()
    (result,) = review.approve(sessions, [draft_id], lambda d: sink, ME, NOW)
    assert not result.ok and result.advice == "run touchbase auth" and sink.calls == ["push_draft"]


def test_a_pushed_draft_is_sent_when_its_message_id_shows_up(
    sessions: sessionmaker[Session],
) -> None:
    (draft_id,) = make_drafts(sessions, [request()])
    review.approve(sessions, [draft_id], lambda d: MemorySink(), ME, NOW)
    message_id = _draft(sessions, draft_id).message_id
    later = NOW + timedelta(hours=3)
    me = ME.addresses[0]
    # The copy in Drafts is not a send; the copy in Sent is.
    store_interactions(
        sessions,
        [
            mail(
                1,
                later,
                sender=me,
                to=["jane@example.com"],
                message_id=message_id,
                folder="drafts",
                flags=frozenset({Flag.DRAFT}),
            ),
        ],
    )
    assert review.after_sync(sessions, ME.addresses, later).sent == []
    store_interactions(
        sessions,
        [mail(2, later, sender=me, to=["jane@example.com"], message_id=message_id)],
        account="mem2",
    )
    assert review.after_sync(sessions, ME.addresses, later).sent == [draft_id]
    sent = _draft(sessions, draft_id)
    assert sent.status == "sent" and sent.sent_at == later


def test_a_rewritten_message_id_is_matched_by_recipient_subject_and_time(
    sessions: sessionmaker[Session],
) -> None:
    (draft_id,) = make_drafts(sessions, [request()])
    review.approve(sessions, [draft_id], lambda d: MemorySink(), ME, NOW)
    subject = _draft(sessions, draft_id).subject
    me = ME.addresses[0]
    store_interactions(
        sessions,
        [
            mail(1, NOW + timedelta(days=1), sender=me, to=["other@example.com"], subject=subject),
            mail(2, NOW + timedelta(days=2), sender=me, to=["jane@example.com"], subject="Other"),
            mail(
                3,
                NOW + timedelta(days=3),
                sender=me,
                to=["jane@example.com"],
                subject="RE: " + subject,
            ),
        ],
    )
    assert review.after_sync(sessions, ME.addresses, NOW + timedelta(days=3)).sent == [draft_id]
    assert _draft(sessions, draft_id).sent_at == NOW + timedelta(days=3)


def test_open_drafts_expire_when_the_owner_wrote_meanwhile_or_nobody_is_due(
    sessions: sessionmaker[Session],
) -> None:
    made = make_drafts(
        sessions,
        [
            request(),
            request(address="bob@example.com", name="Bob"),
            request(address="cy@example.com", name="Cy"),
            request(address="dee@example.com", name="Dee"),
        ],
    )
    by = {lifecycle.addresses(_draft(sessions, i))[0]: i for i in made}
    a, b, c = by["jane@example.com"], by["bob@example.com"], by["cy@example.com"]
    review.edit(sessions, by["dee@example.com"], NOW, body="Dee, my own words.")
    store_interactions(
        sessions,
        [
            mail(1, NOW - timedelta(days=1), sender=ME.addresses[0], to=["bob@example.com"]),
            mail(2, NOW + timedelta(days=1), sender=ME.addresses[0], to=["jane@example.com"]),
            mail(3, NOW + timedelta(days=1), sender="cy@example.com", to=[ME.addresses[0]]),
        ],
    )
    assert review.after_sync(sessions, ME.addresses, NOW + timedelta(days=1)).expired == [a]
    assert "you wrote to them on" in (_draft(sessions, a).status_reason or "")
    with sessions.begin() as session:
        assert expire_not_due(session, {"bob@example.com"}, NOW) == [c]
    assert _draft(sessions, b).status == "pending"
    assert _draft(sessions, by["dee@example.com"]).status == "pending"  # edited: the owner's


def test_drafts_of_one_run_read_unlike_each_other(sessions: sessionmaker[Session]) -> None:
    """Each draft takes the next template its neighbours in the run did not use (issue 11: two
    check-ins side by side opened alike)."""
    variants = len(Drafter(ME).variants[DraftKind.CHECK_IN.value])
    people = [request(f"p{n}@example.com", f"Pat{n} Lee") for n in range(variants + 2)]
    ids = make_drafts(sessions, people)
    with sessions() as session:
        bodies = [lifecycle.get_draft(session, i).body for i in ids]
    openings = [b.split("\n\n")[1] for b in bodies]
    first = [o.replace(f"Pat{n}", "X") for n, o in enumerate(openings[:variants])]
    assert len(set(first)) == variants, first  # all variants used before any repeats

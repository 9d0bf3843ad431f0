"""is_failure_subject is the subject half of is_failure_notice: the fold asks it once per
distinct subject and asks about the sender only when it holds, so the two must agree."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.life_events import is_failure_notice, is_failure_subject

SUBJECTS = [
    None,
    "",
    "Undeliverable: Lunch",
    "  returned mail: see transcript",
    "Delivery Status Notification (Failure)",
    "Undeliverables",
    "Re: Undeliverable: Lunch",
    "Lunch?",
]
SENDERS = ["mailer-daemon@example.com", "Postmaster@x.example", "ann@example.com", ""]


def test_the_notice_is_the_subject_and_a_system_sender() -> None:
    for subject in SUBJECTS:
        for sender in SENDERS:
            system = is_failure_notice(sender, "Undeliverable: x")
            assert is_failure_notice(sender, subject) == (is_failure_subject(subject) and system)
    assert is_failure_subject("Undeliverable: Lunch")
    assert not is_failure_subject("Re: Undeliverable: Lunch")


@given(st.text(max_size=40), st.sampled_from(SENDERS))
def test_no_notice_without_the_subject(subject: str, sender: str) -> None:
    if not is_failure_subject(subject):
        assert not is_failure_notice(sender, subject)

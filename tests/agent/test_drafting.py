"""Drafting: personal words, templates per kind with several phrasings, owner overrides."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.agent.draftfixtures import ME, NOW, request
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.compose.render import Drafter
from touchbase.agent.pipeline.compose.request import DraftKind, LastConversation
from touchbase.agent.pipeline.compose.words import clean_subject, first_name, since_words
from touchbase.agent.pipeline.config import Me


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dr. Jane Q. Smith", "Jane"),
        ("Smith, Jane", "Jane"),
        ("JANE SMITH", "Jane"),
        ('"Jane Smith"', "Jane"),
        ("J. Robert Smith", "Robert"),
        ("José Álvarez", "José"),
        ("Jean-Luc Picard", "Jean-Luc"),
        ("jsmith", ""),
        ("jane.smith@example.com", ""),
        ("Dr. Smith", ""),
        ("", ""),
        (None, ""),
        ("Jane\r\nBcc: evil@example.com", ""),
        ("Jane\r\nSmith\x00", "Jane"),
    ],
)
def test_first_name_is_the_given_name_or_nothing(name: str | None, expected: str) -> None:
    assert first_name(name, ("jsmith@example.com",)) == expected


def test_a_display_name_equal_to_the_login_is_not_a_name() -> None:
    assert first_name("Jsmith", ("jsmith@example.com",)) == ""


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: RE: Fwd: [team] Lunch?", "Lunch?"),
        ("AW: WG: Budget", "Budget"),
        ("[list-a][list-b] Re: Plans", "Plans"),
        ("Re[2]: Numbers", "Numbers"),
        ("Reading list", "Reading list"),
        ("Fw: Re:\r\n Hello\x00 there", "Hello there"),
        (None, ""),
    ],
)
def test_subjects_lose_reply_prefixes_and_list_tags(subject: str | None, expected: str) -> None:
    assert clean_subject(subject) == expected


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (0, "a day or so"),
        (4, "a few days"),
        (8, "a week"),
        (16, "a couple of weeks"),
        (35, "a month"),
        (95, "about three months"),
        (182, "half a year"),
        (400, "a year"),
        (800, "about two years"),
    ],
)
def test_how_long_it_has_been_in_words(days: int, words: str) -> None:
    assert since_words(NOW - timedelta(days=days), NOW) == words


def test_each_kind_renders_personal_text_with_the_signature() -> None:
    drafter = Drafter(ME)
    for kind in DraftKind:
        rendered = drafter.render(request(kind=kind), NOW)
        assert rendered.body.startswith(("Hi Jane,", "Hello Jane,"))
        assert rendered.body.rstrip().endswith("Best,\nOlivia")
        assert "{{" not in rendered.body and "\r" not in rendered.subject
    check_in = drafter.render(request(kind=DraftKind.CHECK_IN), NOW)
    assert "Budget 2025" in check_in.body + check_in.subject
    assert "Re:" not in check_in.subject and "[team]" not in check_in.body


def test_no_known_name_greets_without_one() -> None:
    rendered = Drafter(ME).render(request(name="jsmith", address="jsmith@example.com"), NOW)
    first_line = rendered.body.splitlines()[0]
    assert first_line in ("Hi,", "Hello,")


def test_phrasing_is_stable_per_person_and_varies_across_people_and_over_time() -> None:
    drafter = Drafter(ME)
    one = [drafter.choose(request(address=f"p{i}@example.com")) for i in range(30)]
    assert one == [drafter.choose(request(address=f"p{i}@example.com")) for i in range(30)]
    assert len(set(one)) >= 2
    person = request()
    assert drafter.choose(person, 0) != drafter.choose(person, 1)


def test_follow_up_replies_in_its_thread_subject() -> None:
    last = LastConversation(subject="Fwd: [sales] Proposal", message_id="<p@x.example>")
    rendered = Drafter(ME).render(request(kind=DraftKind.FOLLOW_UP, last=last), NOW)
    assert rendered.subject == "Re: Proposal"


def test_no_subjects_kept_means_none_quoted() -> None:
    me = Me(name="O", addresses=ME.addresses, keep_subjects=False)
    rendered = Drafter(me).render(request(subject="Secret merger"), NOW)
    assert "merger" not in rendered.subject + rendered.body


def test_owner_templates_replace_the_shipped_ones_for_their_kind(tmp_path: Path) -> None:
    (tmp_path / "check-in.1.txt.j2").write_text(
        "Subject: Yo {{ first_name }}\n\nLong time, {{ first_name }}! ({{ since }})\n"
    )
    drafter = Drafter(ME, tmp_path)
    rendered = drafter.render(request(), NOW)
    assert rendered.subject == "Yo Jane"
    assert rendered.body == "Long time, Jane! (about three months)\n"
    thanks = drafter.render(request(kind=DraftKind.THANK_YOU), NOW)
    assert thanks.template.startswith("thank-you.")  # other kinds keep the shipped phrasings


def test_a_broken_owner_template_fails_with_advice(tmp_path: Path) -> None:
    (tmp_path / "check-in.1.txt.j2").write_text("Subject: x\n\n{{ no_such_thing }}\n")
    with pytest.raises(UserError, match=r"check-in\.1\.txt\.j2"):
        Drafter(ME, tmp_path).render(request(), NOW)
    (tmp_path / "check-in.1.txt.j2").write_text("no subject line\n")
    with pytest.raises(UserError, match="Subject"):
        Drafter(ME, tmp_path).render(request(), NOW)


def test_owner_templates_run_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "check-in.1.txt.j2").write_text(
        "Subject: x\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n"
    )
    with pytest.raises(UserError):
        Drafter(ME, tmp_path).render(request(), NOW)

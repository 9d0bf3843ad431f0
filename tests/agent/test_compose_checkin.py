"""Check-in wording (issue 11): what a person would send, per register and topic kind.

Blind judges rejected every check-in of the old templates as boilerplate ("I realised we haven't
been in touch since March. How are things going on your side?" to a friend, a dead work subject
pasted in, "Best," and a name under a two-line note). These tests read the rendered text: a move
names where they went (or what they left), a shared occasion is named as a person says it, a
warm tie gets casual words, a working tie brief plain ones, and nothing claims what the metadata
cannot show. Every variant of a case is rendered, so no phrasing escapes.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.pipeline.compose.message import Envelope, Recipient, build_message
from touchbase.agent.pipeline.compose.phrases import organisation_name, social_phrase
from touchbase.agent.pipeline.compose.render import Drafter, Rendered
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest
from touchbase.agent.pipeline.config import Me
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.drafts.from_rules import request_from_decision
from touchbase.agent.pipeline.models import Person, PersonAddress
from touchbase.rules.decision import Decision, Topic

NOW = datetime(2002, 7, 1, 15, 0, tzinfo=UTC)
CHRIS = Me(name="Chris Germany", addresses=("chris.germany@enron.com",), time_zone="UTC")
DRAFTER = Drafter(CHRIS)
REGISTERS = ("warm", "work", "")
CALL = re.compile(r"\b(call|phone|ring)\b", re.IGNORECASE)
# What the old templates said and the judges marked TEMPLATE or FALSE_PREMISE.
STIFF = (
    "i realised",
    "too long",
    "on your side?",
    "so i thought i'd say hello",
    "haven't been in touch since",
    "haven't caught up since",
    "last time we were in touch",
)


def checkin(**fields: object) -> DraftRequest:
    base = DraftRequest(
        kind=DraftKind.CHECK_IN,
        addresses=("mark.breese@mirant.com",),
        name="Mark Breese",
        person_id=11,
        tier="active",
        last_contact=NOW - timedelta(days=120),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def variants(req: DraftRequest, drafter: Drafter = DRAFTER) -> list[Rendered]:
    count = len(drafter.variants["check-in"])
    rendered = [drafter.render(req, NOW, n) for n in range(count)]
    assert len({r.template for r in rendered}) == count
    return rendered


def words(body: str) -> str:
    """The body between the greeting and the sign-off."""
    return " ".join(body.strip().split("\n\n")[1:-1])


def sentences(body: str) -> int:
    return len(re.findall(r"[.?!](?:\s|$)", words(body)))


# --- left (in touch at their newer address since) ---------------------------------------------


@pytest.mark.parametrize("register", REGISTERS)
def test_life_after_the_place_they_left_is_the_hook(register: str) -> None:
    """The owner wrote to them at their new address a cadence ago: the move is no news, life
    after it is ("How's life after Enron?"), in every variant, short, no raw domain."""
    req = checkin(
        topic="Enron",
        topic_kind="left",
        register=register,
        addresses=("ericboyt@hotmail.com",),
        topic_at=NOW - timedelta(days=88),
    )
    for r in variants(req):
        text = words(r.body)
        assert "Enron" in text and "enron.com" not in r.body.lower(), r.body
        assert "I saw you" not in text and "new address" not in text, r.body
        assert 1 <= sentences(r.body) <= 3, r.body
    # Where they are now, when their new address says it for certain, joins the question.
    for r in variants(replace(req, addresses=("sgillesp@sequentenergy.com",))):
        assert "Enron" in words(r.body) and "Sequent Energy" in words(r.body), r.body
    # A name that is no organisation's is never written: the words fall back to the tie's.
    for r in variants(replace(req, topic="enron.com")):
        assert "enron" not in r.body.lower(), r.body


# --- moved -------------------------------------------------------------------------------------


@pytest.mark.parametrize("register", REGISTERS)
def test_a_move_names_the_organisation_they_moved_to(register: str) -> None:
    req = checkin(topic="Mirant", topic_kind="moved", register=register, topic_at=NOW)
    rendered = variants(req)
    for r in rendered:
        assert "Mirant" in words(r.body), r.body
        assert "new address" not in r.body
        text = (r.subject + " " + r.body).lower()
        assert "a while" not in text and "since" not in text  # the move is the news, not time
        assert 1 <= sentences(r.body) <= 3
    assert "How's Mirant?" in {r.subject for r in rendered}
    assert any(
        words(r.body).startswith("I saw you're at Mirant now — how's it going over there?")
        for r in rendered
    )


@pytest.mark.parametrize("register", REGISTERS)
def test_a_move_without_the_new_organisation_names_the_one_they_left(register: str) -> None:
    req = checkin(topic="", topic_kind="moved", moved_from="Enron", register=register)
    rendered = variants(req)
    for r in rendered:
        assert "Enron" in words(r.body), r.body
        assert "new address" not in r.body
    assert any("moved on from Enron" in r.body for r in rendered)


def test_a_move_known_by_its_new_address_alone_names_no_organisation() -> None:
    req = checkin(topic="", topic_kind="moved", addresses=("angiez_1@hotmail.com",))
    for r in variants(req):
        assert "new address" in r.body
        assert not re.search(r"\bat [A-Z]|from [A-Z]|left [A-Z]", words(r.body)), r.body
        assert "hotmail" not in (r.subject + r.body).lower()


@pytest.mark.parametrize(
    "hostile",
    [
        "mirant.com",
        "Mirant\r\nBcc: evil@example.com",
        "evil@example.com",
        "<script>alert(1)</script>",
        "ACME 2000",
        "A Company With Far Too Many Words In Its Name",
        "x" * 61,
        "{{ me_name }}",
    ],
)
def test_a_move_with_an_organisation_no_person_would_write_is_said_without_it(
    hostile: str,
) -> None:
    for moved_from in ("", hostile):
        req = checkin(topic=hostile, topic_kind="moved", moved_from=moved_from)
        for r in variants(req):
            said = r.subject + "\n" + words(r.body)
            for piece in ("mirant", "Bcc", "@", "<", "2000", "Too Many", "xxxx", "{{"):
                assert piece not in said, (piece, said)
            assert "\r" not in r.subject and "\n" not in r.subject
            assert "new address" in r.body  # the words for a move nobody can name


def test_organisation_names_are_words_a_person_writes() -> None:
    assert organisation_name("UBS Warburg Energy") == "UBS Warburg Energy"
    assert organisation_name("AT&T") == "AT&T"
    assert organisation_name("Procter & Gamble") == "Procter & Gamble"
    assert organisation_name("Mirant\u202e\r\n") == "Mirant"  # controls and bidi marks go
    for bad in ("", "ubswenergy.com", "x@y.com", "Acme 2", "Acme\nBcc: x", "Acme, Inc."):
        assert organisation_name(bad) == "", bad


# --- social ------------------------------------------------------------------------------------


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize(
    ("subject", "named"),
    [
        ("Steve's Happy Hour", "Steve's happy hour"),
        ("RE: INGRID'S BABY SHOWER", "Ingrid's baby shower"),
        ("Astros game", "the Astros game"),
        ("Lunch w/ Joan", "lunch with Joan"),
        ("golf", "our last round of golf"),
    ],
)
def test_a_shared_occasion_is_named_as_a_person_says_it(
    register: str, subject: str, named: str
) -> None:
    req = checkin(
        topic=subject, topic_kind="social", topic_at=NOW - timedelta(days=110), register=register
    )
    for r in variants(req):
        body = words(r.body)
        assert named in body or named[:1].upper() + named[1:] in body, (named, r.body)
        assert subject not in r.body or subject in named  # never the pasted subject
        assert "INGRID" not in r.body and "Happy Hour" not in r.body and "RE:" not in r.body
        assert subject.lower() not in r.subject.lower()
        assert 1 <= sentences(r.body) <= 3
        assert not any(s in r.body.lower() for s in STIFF), r.body


def test_an_occasion_is_theirs_or_ours_when_written_to_them() -> None:
    steve = checkin(
        name="Steve Gillespie",
        addresses=("sgillesp@sequentenergy.com",),
        topic="Steve's Happy Hour",
        topic_kind="social",
        topic_at=NOW - timedelta(days=110),
    )
    for r in variants(steve):
        assert "your happy hour" in r.body.lower() and "Steve's" not in r.body
    joan = replace(
        steve, name="Joan Quick", addresses=("jquick@zilkha.com",), topic="Lunch w/ Joan"
    )
    for r in variants(joan):
        assert "our last lunch" in r.body.lower() and "with Joan" not in r.body
    mine = replace(steve, topic="Chris's party")
    assert all("my party" in r.body.lower() for r in variants(mine))


def test_a_long_ago_occasion_may_be_a_while_ago_and_a_recent_one_is_not_called_so() -> None:
    old = checkin(topic="Steve's Happy Hour", topic_kind="social", register="warm")
    old = replace(old, topic_at=NOW - timedelta(days=110))
    assert any(
        re.search(r"a while|ages", r.body) and "Steve's happy hour" in r.body for r in variants(old)
    )
    weeks = replace(old, topic_at=NOW - timedelta(days=20))
    for r in variants(weeks):
        assert "Steve's happy hour" in r.body
        assert not re.search(r"a while|ages|long time", (r.subject + r.body).lower()), r.body
    days = replace(old, topic_at=NOW - timedelta(days=5))
    for r in variants(days):  # just in touch about it: not recalled, a warm hello instead
        assert "happy hour" not in r.body.lower()


@pytest.mark.parametrize(
    "subject",
    [
        "FW: Steve's Happy Hour",  # somebody else's occasion, passed on
        "Funeral reception",
        "Merger party",  # the owner's sensitive word below
        "Re: Q3 budget",  # no occasion at all
        "Happy hour at http://evil.example/x",
        "Party\r\nBcc: evil@example.com",
        "<b>party</b>",
        "x" * 70 + " party",
        "{{ me_name }} party",
        "",
    ],
)
def test_an_occasion_that_cannot_be_named_well_is_left_out(subject: str) -> None:
    drafter = Drafter(CHRIS, sensitive=DRAFTER.sensitive | {"merger", "funeral"})
    req = checkin(
        topic=subject, topic_kind="social", topic_at=NOW - timedelta(days=90), register="warm"
    )
    for r in variants(req, drafter):
        body = words(r.body)
        for piece in ("Steve", "uneral", "erger", "budget", "http", "Bcc", "<", "xxx", "{{"):
            assert piece not in body and piece not in r.subject, (piece, r.body)
        assert "party" not in body.lower() and "happy hour" not in body.lower()


# --- no topic: warm, work, unknown --------------------------------------------------------------


def test_a_warm_tie_without_a_topic_gets_casual_words_and_no_invitation() -> None:
    req = checkin(register="warm")
    rendered = variants(req)
    for r in rendered:
        body = words(r.body)
        assert not CALL.search(body) and "coffee" not in body.lower()
        assert not any(s in r.body.lower() for s in STIFF), r.body
        assert 1 <= sentences(r.body) <= 3
    assert any(
        "How are you doing these days? Would be good to catch up." in r.body for r in rendered
    )
    offered = [bool(CALL.search(words(r.body))) for r in variants(replace(req, suggest_call=True))]
    assert all(offered)


def test_a_working_tie_gets_brief_plain_words_without_false_warmth() -> None:
    for days in (50, 200, 400):
        req = checkin(register="work", last_contact=NOW - timedelta(days=days))
        for r in variants(req):
            text = (r.subject + " " + r.body).lower()
            for warmth in ("a while", "ages", "long time", "too long", "miss", "catch up", "!"):
                assert warmth not in text, (warmth, r.body)
            assert not any(s in text for s in STIFF), r.body
            assert 1 <= sentences(r.body) <= 2
            assert len(words(r.body)) <= 80


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("days", [20, 60, 200])
def test_time_is_claimed_only_after_a_real_lapse(register: str, days: int) -> None:
    req = checkin(register=register, last_contact=NOW - timedelta(days=days))
    for r in variants(req):
        text = (r.subject + " " + r.body).lower()
        if days < 42:
            assert not re.search(r"a while|ages|long time|been in touch|since", text), r.body
        if days < 150 and register == "warm":
            assert "long time!" not in text and "ages!" not in text


# --- every case --------------------------------------------------------------------------------

CASES = [
    {"topic": "Mirant", "topic_kind": "moved"},
    {"topic": "", "topic_kind": "moved", "moved_from": "Enron"},
    {"topic": "", "topic_kind": "moved"},
    {"topic": "Steve's Happy Hour", "topic_kind": "social"},
    {"topic": "Bishops Corner draw", "topic_kind": "thread"},
    {"topic": None, "topic_kind": "thread"},
]


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("call", [False, True])
def test_every_check_in_is_short_named_and_signed_by_first_name(
    register: str, case: dict[str, object], call: bool
) -> None:
    req = checkin(register=register, suggest_call=call, topic_at=NOW - timedelta(days=100), **case)
    for r in variants(req, Drafter(Me(name="Chris Germany", addresses=CHRIS.addresses))):
        assert r.body.startswith("Hi Mark,\n\n")
        assert r.body.endswith("\n\nChris\n"), r.body  # no "Best," block under a short note
        assert "Best," not in r.body
        assert 1 <= sentences(r.body) <= 4 and len(words(r.body)) <= 240, r.body
        assert len(r.subject) <= 30 and r.subject[:1].isupper()
        assert "Re:" not in r.subject and '"' not in r.subject + r.body
        assert "  " not in r.body
        assert bool(CALL.search(words(r.body))) == call, r.body


def test_an_owner_signature_is_kept() -> None:
    me = replace(CHRIS, signature="Cheers,\nChris")
    for r in variants(checkin(register="warm"), Drafter(me)):
        assert r.body.endswith("\n\nCheers,\nChris\n")


def test_ten_check_ins_do_not_read_as_one_template() -> None:
    people = [
        checkin(person_id=i, name=n, addresses=(f"p{i}@example.com",), register=g, **case)
        for i, (n, g, case) in enumerate(
            [
                ("Ann Lee", "warm", {}),
                ("Bo Chan", "work", {}),
                ("Cy Ray", "warm", {"topic": "Steve's Happy Hour", "topic_kind": "social"}),
                ("Di Fox", "work", {}),
                ("Ed Kim", "", {"topic": "Mirant", "topic_kind": "moved"}),
                ("Flo Ng", "warm", {}),
                ("Gus Orr", "work", {}),
                ("Hal Poe", "warm", {"topic": "", "topic_kind": "moved", "moved_from": "Enron"}),
                ("Ida Qi", "work", {}),
                ("Jo Roe", "warm", {"topic": "Astros game", "topic_kind": "social"}),
            ]
        )
    ]
    rendered = [DRAFTER.render(replace(p, topic_at=NOW - timedelta(days=90)), NOW) for p in people]
    assert len({words(r.body).split(".")[0] for r in rendered}) >= 8
    assert len({r.subject for r in rendered}) >= 4
    assert len({r.template for r in rendered}) >= 3


# --- the guarantees, over any input --------------------------------------------------------------

TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=70
) | st.sampled_from(
    [
        "Steve's Happy Hour",
        "INGRID'S BABY SHOWER!!!",
        "Mirant",
        "Re: Happy hour\r\nBcc: evil@example.com",
        "ubswenergy.com",
        "Party " + "y" * 70,
        '"quoted party"',
        "{% raw %}party",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    topic=st.none() | TEXT,
    kind=st.sampled_from(["thread", "social", "moved", "", "other"]),
    register=st.sampled_from(["warm", "work", "", "WARM", "x"]),
    moved_from=TEXT,
    days=st.none() | st.integers(min_value=0, max_value=1200),
    call=st.booleans(),
    sequence=st.integers(min_value=0, max_value=6),
)
def test_any_check_in_is_well_formed(
    topic: str | None,
    kind: str,
    register: str,
    moved_from: str,
    days: int | None,
    call: bool,
    sequence: int,
) -> None:
    at = NOW - timedelta(days=days) if days is not None else None
    req = checkin(
        topic=topic,
        topic_kind=kind,
        register=register,
        moved_from=moved_from,
        topic_at=at,
        last_contact=at,
        suggest_call=call,
    )
    r = DRAFTER.render(req, NOW, sequence)
    assert r.subject.strip() and r.subject.lower().rstrip(": ") not in ("re", "fw", "fwd")
    assert "\n" not in r.subject and "\r" not in r.subject and len(r.subject) <= 60
    for quoted in re.findall(r'"([^"]*)"', r.subject + r.body):
        assert len(quoted) <= 60
    body = words(r.body)
    assert "{" not in body and "}" not in body and "None" not in body and "  " not in body
    for piece in ("@", "http", "<", ">", "\r", ".com"):
        assert piece not in body or (topic and piece in topic and kind in ("thread", "")), body
    message = build_message(
        Envelope(
            sender=Recipient("chris.germany@enron.com", "Chris Germany"),
            to=(Recipient("mark.breese@mirant.com", "Mark Breese"),),
            subject=r.subject,
            message_id="<t@enron.com>",
            date=NOW,
        ),
        r.body,
    )
    headers = message.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert headers.count("\r\nSubject:") == 1 and "Bcc" not in headers


def test_social_phrase_never_returns_unchecked_text() -> None:
    assert social_phrase("Steve's Happy Hour", frozenset()) == "Steve's happy hour"
    assert social_phrase("the game", frozenset()) == ""  # too vague to recall
    assert social_phrase("Steve's Happy Hour", frozenset({"steve"})) == ""  # sensitive word


# --- from a decision ---------------------------------------------------------------------------


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    return open_database(db_url)


def test_a_moved_decision_carries_the_organisation_they_left(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        person = Person(name="Angie Zeman", created_at=NOW)
        session.add(person)
        session.flush()
        for address in ("angie.zeman@enron.com", "angiez_1@hotmail.com"):
            session.add(PersonAddress(address=address, person_id=person.id))
        key = f"p{person.id}"
    decision = Decision(
        person=key,
        address="angiez_1@hotmail.com",
        name="Angie Zeman",
        kind="check-in",
        due=NOW,
        reasons=("moved",),
        topic=Topic("", NOW - timedelta(days=120), "moved"),
        register="warm",
    )
    with sessions() as session:
        req = request_from_decision(session, decision)
        unmerged = request_from_decision(
            session, replace(decision, person="steve.gillespie@enron.com", address="s@sequent.com")
        )
        social = request_from_decision(
            session, replace(decision, topic=Topic("Steve's Happy Hour", NOW, "social"))
        )
    assert (req.topic_kind, req.register, req.moved_from) == ("moved", "warm", "Enron")
    assert unmerged.moved_from == "Enron"
    assert (social.topic_kind, social.moved_from) == ("social", "")
    body = DRAFTER.render(req, NOW).body
    assert "Enron" in body and "hotmail" not in body.lower()


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("topic", [None, "Bishops Corner draw"])
def test_no_check_in_says_it_has_been_too_long(register: str, topic: str | None) -> None:
    """The mail cannot show that a gap was too long (they may talk every day in person)."""
    for days in (60, 400):
        req = checkin(register=register, tier="inner", topic=topic)
        req = replace(req, last_contact=NOW - timedelta(days=days))
        for r in variants(req):
            assert "too long" not in (r.subject + r.body).lower(), r.body


# --- the time of year -------------------------------------------------------------------------

SEASON_WORDS = re.compile(r"\b(summer|winter|spring|autumn|fall|holiday|holidays|new year)\b")


@cache
def _drafter(zone: str) -> Drafter:
    return Drafter(replace(CHRIS, time_zone=zone))


def test_a_warm_check_in_says_the_season_where_the_owner_is() -> None:
    req = checkin(register="warm")
    houston = [
        SEASON_WORDS.findall(words(r.body).lower())
        for r in variants(req, _drafter("America/Chicago"))
    ]
    assert all(found == ["summer"] for found in houston), houston  # 1 July in Houston
    sydney = [
        SEASON_WORDS.findall(words(r.body).lower())
        for r in variants(req, _drafter("Australia/Sydney"))
    ]
    assert all(found == ["winter"] for found in sydney), sydney
    for zone in ("UTC", "Asia/Singapore"):  # no hemisphere, or no seasons: nothing said
        for r in variants(req, _drafter(zone)):
            assert not SEASON_WORDS.search(words(r.body).lower()), r.body
    # Two drafts of one run do not all wish the same sentence.
    wishes = {
        s
        for r in variants(req, _drafter("America/Chicago"))
        for s in re.split(r"(?<=[.?!]) ", words(r.body))
        if "summer" in s
    }
    assert len(wishes) >= 3, wishes


def test_a_warm_check_in_after_a_lapse_names_the_month_not_a_stock_phrase() -> None:
    req = checkin(register="warm", last_contact=datetime(2002, 2, 8, 18, 0, tzinfo=UTC))
    for r in variants(req, _drafter("America/Chicago")):
        assert "February" in words(r.body), r.body
        assert not any(s in r.body.lower() for s in STIFF), r.body
        assert 2 <= sentences(r.body) <= 3, r.body


@settings(max_examples=150, deadline=None)
@given(
    day=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["America/Chicago", "Europe/London", "Australia/Sydney", "UTC"]),
    gap=st.integers(0, 900),
    register=st.sampled_from(REGISTERS),
)
def test_the_season_said_is_the_one_at_now_in_the_owners_hemisphere(
    day: datetime, zone: str, gap: int, register: str
) -> None:
    from zoneinfo import ZoneInfo

    req = checkin(register=register, last_contact=day - timedelta(days=gap))
    local = day.astimezone(ZoneInfo(zone))
    month = local.month if not zone.startswith("Australia") else (local.month + 5) % 12 + 1
    allowed = {
        12: {"winter", "holiday", "holidays"},
        1: {"winter", "new year"},
        2: {"winter"},
        3: {"spring"},
        4: {"spring"},
        5: {"spring"},
        6: {"summer"},
        7: {"summer"},
        8: {"summer"},
        9: {"fall", "autumn"},
        10: {"fall", "autumn"},
        11: {"fall", "autumn"},
    }[month] | ({"holiday", "holidays", "new year"} if zone.startswith("Australia") else set())
    drafter = _drafter(zone)
    for n in range(len(drafter.variants["check-in"])):
        r = drafter.render(req, day, n)
        said = set(SEASON_WORDS.findall(words(r.body).lower()))
        if zone == "UTC":
            assert not said, r.body
        assert said <= allowed, (local, said, r.body)
        if gap < 42:
            assert not re.search(r"a while|ages|long time|been in touch|since", r.body.lower())


# --- the organisation they are at (issue 11) ---------------------------------------------------


@pytest.mark.parametrize("register", ["warm", "work"])
def test_a_check_in_names_their_organisation_when_its_domain_says_it(register: str) -> None:
    """ "Hope things are good at Sequent Energy": from a domain that splits for certain into a
    name and a known word; never the owner's own organisation, a mailbox provider or a raw
    domain."""
    for address, named in (
        ("sgillesp@sequentenergy.com", "Sequent Energy"),
        ("lamoss@duke-energy.com", "Duke Energy"),
        ("gthorse@about-cis.com", ""),
        ("steve@hotmail.com", ""),
        ("mark.breese@mirant.com", ""),
        ("ann@lasvegas.com", ""),
        ("chris@enron-energy.com", "Enron Energy"),
        ("victor.lamadrid@ubswenergy.com", ""),  # UBS Warburg's letters, no name: not "Ubsw"
    ):
        req = checkin(register=register, addresses=(address,))
        for r in variants(req):
            text = words(r.body)
            if named:
                assert f"at {named}" in text, r.body
            else:
                assert "Energy" not in r.body, r.body
            assert "." + address.rpartition(".")[2] not in text.lower(), r.body
            assert address.rpartition("@")[2] not in text.lower(), r.body
    own = Drafter(replace(CHRIS, addresses=("chris@duke-energy.com",)))
    for r in variants(checkin(register="warm", addresses=("lamoss@duke-energy.com",)), own):
        assert "Duke" not in r.body, r.body


def test_a_warm_lapse_is_said_as_a_person_says_it_not_as_a_statistic() -> None:
    """The judges' "statistic" phrases are gone: "Not a peep between us since March"."""
    req = checkin(register="warm", last_contact=NOW - timedelta(days=160))
    for r in variants(req):
        text = r.body.lower()
        for stat in ("not a peep", "swapped news since", "quiet between us", "by my count"):
            assert stat not in text, r.body

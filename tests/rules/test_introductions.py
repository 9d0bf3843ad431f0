"""rules/introductions.py: refusals, suggestions, pacing and the answer to an ask (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from touchbase.rules import introductions as intro
from touchbase.rules.policy import load_policy
from touchbase.rules.types import FROM, TO, Interaction, Party

NOW = datetime(2024, 2, 1, 9, tzinfo=UTC)
POLICY = load_policy()
SENSITIVE = POLICY.sensitive_topics


def side(person: str, org: str, relationship: str | None = "exchanges", strength: float = 0.5):
    return intro.Side(person, f"{person}@{org.lower()}.example", person.title(), org, relationship,
                      NOW - timedelta(days=400), strength)  # fmt: skip


ANN, BEN, CY = side("ann", "Acme"), side("ben", "Globex"), side("cy", "Initech")


def test_refusals_name_the_reason() -> None:
    owner = ["me@owner.example"]
    cases = [
        (("me@owner.example", BEN.address, None, BEN, None), "your own address"),
        ((ANN.address, BEN.address, None, BEN, None), "not an address touchbase knows"),
        ((ANN.address, BEN.address, ANN, side("ben", "Globex", None), None), "never a relation"),
        ((ANN.address, ANN.address, ANN, ANN, None), "the same person"),
        ((ANN.address, BEN.address, ANN, BEN, intro.ASKED), "already made (asked)"),
        ((ANN.address, BEN.address, ANN, BEN, intro.INTRODUCED), "already made (introduced)"),
        ((ANN.address, BEN.address, ANN, BEN, intro.DECLINED), "was declined"),
    ]
    for (a, b, sa, sb, state), why in cases:
        found = intro.refusal(a, b, sa, sb, owner, state)
        assert found is not None and why in found, (why, found)
    assert intro.refusal(ANN.address, BEN.address, ANN, BEN, owner, None) is None
    assert intro.refusal(ANN.address, BEN.address, ANN, BEN, owner, intro.SUGGESTED) is None
    assert intro.refusal(ANN.address, BEN.address, ANN, BEN, owner, intro.DISMISSED) is None


def test_keywords_only_from_subjects_that_pass_hygiene() -> None:
    assert intro.keywords("Re: Battery storage pilot", SENSITIVE) == {"battery", "storage", "pilot"}
    assert intro.keywords("Performance review for Q3 storage", SENSITIVE) == frozenset()
    assert intro.keywords("FW: must see storage joke!!!", SENSITIVE) == frozenset()
    assert intro.keywords("Meeting update", SENSITIVE) == frozenset()


def test_candidates_need_different_organisations_no_shared_thread_and_a_reason() -> None:
    words = {
        "ann": frozenset({"storage", "pilot"}),
        "ben": frozenset({"storage"}),
        "cy": frozenset({"pilot"}),
        "dee": frozenset({"storage"}),
    }
    dee = side("dee", "Acme")
    found = intro.candidates(
        [ANN, BEN, CY, dee], words, {}, frozenset({("ann", "cy")}), frozenset()
    )
    pairs = {frozenset((c.a.person, c.b.person)) for c in found}
    assert frozenset(("ann", "ben")) in pairs
    assert frozenset(("ann", "cy")) not in pairs  # they shared a thread
    assert frozenset(("ann", "dee")) not in pairs  # one organisation
    assert all(any("your threads with both are about" in r for r in c.reasons) for c in found)
    # a word in the threads of most of the owner's people is their trade: it is no reason
    everyone = {k: frozenset({"storage"}) for k in ("ann", "ben", "cy", "dee", "eve")}
    many = [ANN, BEN, CY, dee, side("eve", "Hooli")]
    assert intro.candidates(many, everyone, {}, frozenset(), frozenset()) == []
    # a closed pair is never suggested again; nothing in common, nothing suggested
    closed = frozenset({intro.pair_key(ANN.address, BEN.address)})
    again = intro.candidates([ANN, BEN], words, {}, frozenset(), closed)
    assert again == []
    assert intro.candidates([ANN, BEN], {}, {}, frozenset(), frozenset()) == []
    # not a relationship: never suggested
    assert intro.candidates([ANN, side("ben", "Globex", None)], words, {}, frozenset(),
                            frozenset()) == []  # fmt: skip


def test_a_mention_in_the_other_organisations_threads_is_a_reason() -> None:
    found = intro.candidates([ANN, BEN], {}, {"ann": frozenset({"Globex"})}, frozenset(),
                             frozenset())  # fmt: skip
    (only,) = found
    assert any("you named Ann in threads with Globex" in r for r in only.reasons)
    assert intro.mentioned("Ann Archer", "Numbers from Ann Archer for the board")
    assert not intro.mentioned("Ann Archer", "Annual archery day")
    assert intro.same_organisation("Enron", "Enron Corp.")


def test_never_one_person_to_themselves() -> None:
    """germany-c: jeffrey.porter@enron.com and jporte1@columbiaenergygroup.com are one man
    (Columbia Energy Services' staff came to Enron), and their threads share keywords."""
    moved = intro.Side("p1", "jeffrey.porter@enron.com", "Jeffrey Porter", "Enron", "exchanges")
    old = intro.Side(
        "p2", "jporte1@columbiaenergygroup.com", "", "Columbiaenergygroup", "exchanges"
    )
    words = {"p1": frozenset({"storage"}), "p2": frozenset({"storage"})}
    assert intro.looks_alike(moved, old)
    assert intro.candidates([moved, old], words, {}, frozenset(), frozenset()) == []
    assert not intro.looks_alike(ANN, BEN)
    # ...nor to his old colleagues at the company he wrote from before
    colleague = intro.Side("p3", "kdestep@columbiaenergygroup.com", "", "Columbiaenergygroup", "x")
    words["p3"] = frozenset({"storage"})
    assert intro.candidates([moved, old, colleague], words, {}, frozenset(), frozenset()) == []


def test_pacing_one_suggestion_a_week_by_default() -> None:
    assert intro.pace(None, NOW, POLICY).room == 1
    held = intro.pace(NOW - timedelta(days=3), NOW, POLICY)
    assert held.room == 0 and "next is due 2024-02-05" in held.reason
    assert intro.pace(NOW - timedelta(days=7), NOW, POLICY).room == 1
    daily = load_policy({"introduce_every": "1d"})
    assert intro.pace(NOW - timedelta(days=2), NOW, daily).room == 1


def mail(n: int, sender: str, at: datetime, subject: str, **headers: object) -> Interaction:
    parties = (Party(sender, FROM), Party("me@owner.example", TO))
    return Interaction(n, "acct", "mail", at, parties, subject, **headers)  # type: ignore[arg-type]


def test_the_answer_is_found_by_headers_thread_or_reply_subject() -> None:
    asked = NOW
    ask_id, subject = "<ask@owner.example>", "Would you like to meet Ben Baker?"
    later = asked + timedelta(hours=5)
    cases = {
        "in-reply-to": mail(1, ANN.address, later, "Re: x", in_reply_to=ask_id),
        "references": mail(2, ANN.address, later, "Re: x", references=("<r>", ask_id)),
        "thread": mail(3, ANN.address, later, "whatever", thread_id="T1"),
        "subject": mail(4, ANN.address, later, f"RE: {subject}"),
    }
    for name, item in cases.items():
        found = intro.answer_in_thread([ANN.address], asked, [ask_id], ["T1"], subject, [item])
        assert found == item, name
    not_answers = [
        mail(5, BEN.address, later, "Re: x", in_reply_to=ask_id),  # not A
        mail(6, ANN.address, asked - timedelta(hours=1), "Re: x", in_reply_to=ask_id),  # before
        mail(7, ANN.address, later, "Storage numbers"),  # A, but another thread
        mail(8, ANN.address, later, subject),  # the same words, not a reply
    ]
    assert (
        intro.answer_in_thread([ANN.address], asked, [ask_id], ["T1"], subject, not_answers) is None
    )


people = st.lists(
    st.builds(
        side,
        st.sampled_from(["ann", "ben", "cy", "dee", "eve", "fay"]),
        st.sampled_from(["Acme", "Globex", "Initech"]),
        st.sampled_from([None, "exchanges", "meetings"]),
        st.floats(0, 1),
    ),
    max_size=6,
    unique_by=lambda s: s.person,
)
vocab = st.frozensets(st.sampled_from(["storage", "pilot", "grid", "tariff"]), max_size=3)


@settings(max_examples=150, deadline=None)
@given(people, st.dictionaries(st.sampled_from(["ann", "ben", "cy", "dee", "eve", "fay"]), vocab),
       st.frozensets(st.tuples(st.sampled_from(["ann", "ben", "cy"]),
                               st.sampled_from(["dee", "eve", "fay"]))), st.randoms())  # fmt: skip
def test_suggestions_never_break_the_rules_and_ignore_input_order(
    sides: list[intro.Side], words: dict[str, frozenset[str]], together: frozenset, rng
) -> None:
    found = intro.candidates(sides, words, {}, together, frozenset())
    for c in found:
        assert c.a.relationship and c.b.relationship
        assert not intro.same_organisation(c.a.organisation, c.b.organisation)
        assert tuple(sorted((c.a.person, c.b.person))) not in together
        assert words.get(c.a.person, frozenset()) & words.get(c.b.person, frozenset())
    shuffled = list(sides)
    rng.shuffle(shuffled)
    assert intro.candidates(shuffled, words, {}, together, frozenset()) == found


def test_the_ask_names_topics_that_relate_to_a_first_and_only_hygienic_ones() -> None:
    day = timedelta(days=1)
    subjects = [
        (NOW - 1 * day, "Movie times"),
        (NOW - 2 * day, "Performance review"),  # sensitive: never named
        (NOW - 3 * day, "Grid tariff model"),
        (NOW - 4 * day, "Bishops Corner"),
        (NOW - 5 * day, "Bishops"),
        (NOW - 500 * day, "Storage pilot"),  # too old
    ]
    related = frozenset({"tariff", "bishops"})
    assert intro.topics(subjects, SENSITIVE, NOW, related) == (
        "Grid tariff model",
        "Bishops Corner",
    )
    assert intro.topics(subjects, SENSITIVE, NOW) == ("Movie times",)  # unrelated: only one
    assert intro.topics([(NOW, "FW: must see!!")], SENSITIVE, NOW) == ()

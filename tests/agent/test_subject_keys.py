"""agent/pipeline/subject_keys.py: the key of a subject is the hash of strip_subject's answer,
whatever the subject, and fits the column (a signed 32-bit integer on every database)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from touchbase.agent.pipeline.subject_keys import key_of, subject_key
from touchbase.rules.threads import strip_subject

PREFIXES = st.sampled_from(("", "Re: ", "RE:re: ", "Fwd: ", "AW:", "Re[2]: ", " fw : ", "r:"))
SUBJECTS = st.builds(
    lambda prefix, text: prefix + text,
    PREFIXES,
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
    | st.sampled_from(("Budget", "  budget\t for  Lisbon ", "Ünïcode Straße", "", " ")),
)


@given(subject=SUBJECTS | st.none())
def test_the_key_is_the_stripped_subject_hashed(subject: str | None) -> None:
    stripped = strip_subject(subject)
    key = subject_key(subject)
    assert key == (key_of(stripped) if stripped else None)
    assert key is None or -(2**31) <= key < 2**31


def test_subjects_alike_once_stripped_share_a_key() -> None:
    assert subject_key("Re: RE:  Budget  for Lisbon") == subject_key("budget for lisbon")
    assert subject_key("Budget") != subject_key("Budget 2")
    assert subject_key("Re:") is None and subject_key(None) is None


# What strip_subject gave when the stored keys were computed (migration 0012). Every stored
# subject_key is this answer hashed: a change to the strip rules leaves old rows under keys
# the lookups no longer ask for, and a reply already answered would be drafted again. If this
# table must change, the change needs a migration that computes every key again, as 0012 did.
STRIPPED_WHEN_KEYED = {
    "Budget": "budget",
    "Re: Budget": "budget",
    "RE: re:Budget": "budget",
    "Re[2]: Budget": "budget",
    "Fwd: FW: Re: Budget": "budget",
    " fw : Budget": "budget",
    "AW: Termin": "termin",
    "SV: Möte": "möte",
    "VS: Kokous": "kokous",
    "Antw: Vergadering": "vergadering",
    "WG: Angebot": "angebot",
    "RIF: Riunione": "riunione",
    "TR: Réunion": "réunion",
    "ENC: Reunião": "reunião",
    "RES: Reunião": "reunião",
    "R: Riunione": "riunione",
    "Re:": "",
    "  Budget\t for   Lisbon  ": "budget for lisbon",
    "Straße\u00a0und\u2003Weg": "straße und weg",
    "Reply: Budget": "reply: budget",
    "Re - Budget": "re - budget",
    "[list] Re: Budget": "[list] re: budget",
    "Regarding: Budget": "regarding: budget",
    "Fwd:Re:Fwd: Budget": "budget",
    "re : re [3] : Budget": "budget",
}


def test_the_strip_rules_are_the_ones_the_stored_keys_were_computed_with() -> None:
    answers = {subject: strip_subject(subject) for subject in STRIPPED_WHEN_KEYED}
    assert answers == STRIPPED_WHEN_KEYED, (
        "strip_subject changed: stored subject keys were computed with the old rules; add a "
        "migration that computes them again (see 0012_subject_key) and update this table"
    )

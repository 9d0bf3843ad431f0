"""rules.topics: which subject lines read as a topic a person would name in a message.

Subjects are real ones (the Enron mailboxes and the messy corpus in ../shared/corpora) or shaped
like them. Each refusal is named after the kind of subject it stands for.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.policy import load_policy
from touchbase.rules.topics import MAX_TOPIC, clean_topic, usable_topic

SENSITIVE = load_policy().sensitive_topics  # the shipped list (default.toml)


@pytest.mark.parametrize(
    ("subject", "topic"),
    [
        ("Bishops Corner", "Bishops Corner"),
        ("RE: Bishops Corner", "Bishops Corner"),
        ("Re: RE: Re: Bishops Corner", "Bishops Corner"),
        ("AEC Volumes at OPAL", "AEC Volumes at OPAL"),
        ("Trading Track Program", "Trading Track Program"),
        ("Re: Centanna Storage", "Centanna Storage"),
        ("Re: Questa Petroleum.", "Questa Petroleum"),
        (
            'RE: Ponderosa Pine Energy Partners, Ltd ("PPEP")',
            'Ponderosa Pine Energy Partners, Ltd ("PPEP")',
        ),
        ("Re: [team] Q3 budget", "Q3 budget"),
        ("[EXTERNAL] Westgate proforma", "Westgate proforma"),
        ("AW: WG: Kapazitätsplanung", None),  # a forward in the chain, even in German
        ("AW: Kapazitätsplanung", "Kapazitätsplanung"),
        ("SV: Budsjett for Q3", "Budsjett for Q3"),
        ("Re[2]: CGAS Storage", "CGAS Storage"),
        ("RE:Stock Options", "Stock Options"),
        ('"Bishops Corner draw"', "Bishops Corner draw"),
        (
            "Re: Citygate Production GAS behind TCO - PLEASE READ",
            "Citygate Production GAS behind TCO",
        ),
        ("URGENT: Transport capacity", "Transport capacity"),
        ("URGENT Budget numbers", "Budget numbers"),
        ("Re: Fixed price deal - PLEASE READ", "Fixed price deal"),
        ("Important dates for the closing", "Important dates for the closing"),  # no marker
        ("Things that are important", "Things that are important"),  # not a marker: kept
        ("Q3 Planning", "Q3 Planning"),
        ("West Gas 2001 Plan", "West Gas 2001 Plan"),  # a year alone is not a date
        ("Columbia Homestead Expansion", "Columbia Homestead Expansion"),
        ("Re: Gas Daily stuff", None),
        ("NYPA", "NYPA"),  # an acronym is not shouting
        ("CNG/PNG", "CNG/PNG"),
        ("Matt's new job", "Matt's new job"),
        (
            "Potential Purchasers for Bridgeline Storage Inventory",
            "Potential Purchasers for Bridgeline Storage Inventory",
        ),
        ("Re: Kapazität für Q3", "Kapazität für Q3"),
        ("会議の議事録について", "会議の議事録について"),
    ],
)
def test_a_subject_that_names_a_matter_is_a_topic(subject: str, topic: str | None) -> None:
    assert usable_topic(subject, SENSITIVE) == topic


@pytest.mark.parametrize(
    "subject",
    [
        # nothing there
        None,
        "",
        "   ",
        "Re:",
        "RE: ",
        "Re: Re:",
        "FW:",
        "[team]",
        # forwards: passed something on, asked nothing
        "FW: Trading Track Program",
        "Fwd: Budget",
        "RE: FW: neighbors",
        "Re: FW: Trading Track Program",
        "[Fwd: [Fwd: Enron noms]]",
        "Budget numbers (fwd)",
        "FYI: new org chart",
        "TR: Réunion budget",
        # too long: disclaimers, pasted sentences
        "Western Wholesale Activities - Gas & Power Conf. Call Privileged & Confidential "
        "Communication Attorney-Client Communication and Attorney Work Product Privileges "
        "Asserted",
        "x" * (MAX_TOPIC + 1),
        # notices
        "4-URGENT - OWA Please print this now.",
        "Out of Office: Jane Smith",
        "Automatic reply: Budget",
        "Auto-Reply: Re: Q3 plan",
        "Undeliverable: Test",
        "Delivery Status Notification (Failure)",
        "Returned mail: see transcript for details",
        "Accepted: Updated: Dominion Pipeline Producers Meeting",
        "Declined: Q3 planning",
        "Invitation: Q3 planning @ Tue 4 Jun 2024 10am",
        "Canceled: Bishops Corner walkthrough",
        "Tentative: Budget review",
        "Reminder: CPN Q3 Earnings Announcement",
        "Your Approval is Overdue: Access Request for matt.smith@enron.com",
        "New Notice from Transwestern Pipeline Co.",
        "Request Submitted: Access Request for judy.townsend@enron.com",
        "System Imbalance Notice",
        "XMS Upgrade Transition Plan - All XMS Users Please Read!!",
        "Workstation Upgrade",
        "Scheduled maintenance this weekend",
        "IMPORTANT MESSAGE TO ALL EMPLOYEES",
        "Enron Announcements",
        "Weekly newsletter",
        "ISC - Customer Service Survey",
        "RSVP",
        "Technical Support",
        "[notmuch] [PATCH] Create a default notmuch-show-hook",
        "Re: [RFC][PATCH 06/10] cifs: define inode-level cache object",
        "Bug#691896: Fix committed to git",
        "Meeting time change",
        "Fire Drill Scheduled",
        # dated: the matter has passed; periodic reports
        "California Update 5/4/01",
        "Gas flow and prepayment schedule through 3/21/02",
        "Credit Watch List--Week of 10/22/01",
        "Ponderosa Supply for May 2002",
        "Re: Tetco Capacity for Feb",
        "NYSEG Feb Billing",
        "CES FOM June '00 Requirements",
        "June Deals",
        "Capacity for the 28th",
        "Transco Parking for April 8th - 10th.",
        "Lunch Monday",
        "Room for Tomorrow's Meeting",
        "This morning's Commission meeting delayed",
        "Meet at 330",
        "Call at 3pm",
        "Report 2024-05-31",
        "Re: Last night...",
        "Upcoming Tuesdays",
        # jokes, chain mail, shouting, spam
        "A MUST HAVE!!!!",
        "Re: Many Thanks!!!",
        "How's your back???",
        "FINAL - JANUARY 2000 NEEDS",
        "INGRID'S BABY SHOWER",
        "Re: THINK TWICE BEFORE YOU STOP FOR THE CALL OF NATURE!!!!",
        "FW: Intelligence Test",
        "Funny joke",
        "Waasszup!!!",
        "Home Sweet Home --- Burrrrrrr",
        "Get Norton System Works Professional for $29.99",
        "Put on holiday pounds? Pay Nothing to Lose Weight!",
        "Hallmark cards you'll NEVER see!",
        "PHILLIP, Coming Soon!",
        "Calling All Ninja DJs!",
        "Pass it on",
        # greetings and words with no content
        "Hey",
        "Yo",
        "Re: Hello",
        "Hi there",
        "Quick question",
        "Question",
        "Test",
        "Re: Meeting",
        "Weekly 1:1",
        "1:1 Lars / Alex",
        "A Donkey Story",
        "Pics as promised 4",
        "One-on-one: Ana",
        "Call me ASAP please",
        "Contacts",
        "Contact List",
        "Re: photos",
        "Follow up",
        "Good Morning",
        "Fax Number",
        # plans to meet: passed by the time a draft names them
        "Lunch?",
        "Coffee next week?",
        "Drinks Friday",
        "Steve's Happy Hour",
        "Housewarming Party",
        # questions and sentences
        "Are you okay",
        "Why the RIAA owes us all an apology",
        "Here's the file",
        "Please Take Charge",
        "Stressed About Cash?",
        "Out Friday Morning",
        "Confirm your delivery arrangements, open now!",
        "I thought we spoke the same language",
        # links, addresses, files, ids, money, garbled text
        "http://hotcs.enron.com/fundyplasma/site/Financial.jsp",
        "See www.example.com",
        "Access for matt.smith@enron.com",
        "Westgate Proforma-Phillip Allen.xls",
        "DRAW2.xls",
        "Deal 1190691",
        "Sitara deal 384247 - Apache Marketing",
        "Tetco k#892102",
        "Offer #29667-1",
        "Electric Overage (1824.62)",
        "Allied Signal Buyback - 90,000",
        "=?UTF-8?B?TXlTdXJ2ZXk=?=",
        "Another PDF with \ufffd\ufffd Unicode chars",
        "/home/svn/public/minebox revision 214",
        "Budget\x00numbers",
        # news headlines passed on
        "Jeff McMahon Named CFO",
        "ENE Downgraded by First Albany",
        "Ken Lay Resigns from Board",
        # sensitive: the shipped list
        "Performance Review",
        "Re: Your review time",
        "Mid-Year 2001 Performance Feedback",
        "Payment to Dominion (Louis Dreyfus)",
        "Re: Sept 1 Payment",
        "Bridgeline Invoicing",
        "Statoil Invoice",
        "Retention & Severance Plan",
        "Settlement Conversation Recap",
        "Confidential Employee Information",
        "HR question about leave",
        "Legal hold",
        "Salary",
        "Bonus numbers",
        "Password",
        # sensitive whatever the list says
        "Re: condolences",
        "Funeral arrangements",
        "Hospital",
        "Doctor",
        "Subpoena Response Team",
        "Probate",
        "Resume",
        "Re: balance on truck/loan",
        "Loan for San Marcos",
        "Re: Taxes",
        "Interview candidates",
        # farewells and holidays: passed
        "Moving On",
        "2002 Holiday",
    ],
)
def test_a_subject_that_is_not_a_topic_is_never_named(subject: str | None) -> None:
    assert usable_topic(subject, SENSITIVE) is None


def test_the_owners_own_words_are_never_named() -> None:
    assert usable_topic("Merger talks", SENSITIVE) == "Merger talks"
    assert usable_topic("Merger talks", frozenset({"merger"})) is None
    assert usable_topic("Merger talks", frozenset({"MERGER"})) is None
    assert usable_topic("Mergers", frozenset({"merger"})) is None  # plural
    assert usable_topic("Restructuring plan", frozenset({"restructure"})) is None  # -ing form
    assert usable_topic("Project Falcon", frozenset({"project falcon"})) is None  # a phrase
    assert usable_topic("Falcon project", frozenset({"project falcon"})) == "Falcon project"
    # whole words: "pay" does not refuse "Paypal" or "repay"
    assert usable_topic("Paypal integration", frozenset({"pay"})) == "Paypal integration"


def test_without_a_list_only_the_built_in_words_refuse() -> None:
    assert usable_topic("Performance review") == "Performance review"
    assert usable_topic("Funeral arrangements") is None


def test_cleaning_keeps_the_words_and_drops_the_markers() -> None:
    assert clean_topic("Re: FW: [list] URGENT: Budget!!") == "Budget"
    assert clean_topic(None) == ""


SUBJECTS = st.one_of(
    st.text(max_size=90),
    st.builds(
        lambda prefix, body, suffix: prefix + body + suffix,
        st.sampled_from(["", "Re: ", "RE: FW: ", "[tag] ", "URGENT - ", "Fwd: ", "AW: ", "-- "]),
        st.sampled_from(
            ["Bishops Corner", "Q3 budget", "Hey", "Lunch?", "", "Review", "CES deals", "A" * 70]
        ),
        st.sampled_from(["", "!!", " - PLEASE READ", ".", "?", " (fwd)", " 5/4/01"]),
    ),
)


@given(SUBJECTS)
def test_a_topic_is_short_clean_and_stable(subject: str) -> None:
    topic = usable_topic(subject, SENSITIVE)
    if topic is None:
        return
    assert 0 < len(topic) <= MAX_TOPIC
    assert topic == topic.strip() and "  " not in topic and "\n" not in topic
    assert not topic.lower().startswith(("re:", "fw:", "fwd:", "["))
    assert usable_topic(topic, SENSITIVE) == topic  # judging a topic again keeps it
    assert topic in " ".join(subject.split())  # words are never invented

"""Subject hygiene: whether a subject line reads as a topic a person would name in a message.

A draft may refer to the last conversation ("my note of 21 December about Bishops Corner"), but
only with words a person would use. `usable_topic` cleans a subject (reply and forward prefixes,
[list tags], URGENT-style markers, trailing punctuation) and then refuses it when it reads as
something else than a topic:

- too long (over `MAX_TOPIC` characters: disclaimers, whole sentences, pasted reports);
- a forward ("Fw:", "[Fwd: ...]", "(fwd)", "FYI"): it passed something on and asked nothing;
- a notice: out of office, automatic replies, bounces, meeting invitations and answers, "please
  print", system and IT notices, newsletters and marketing, surveys, reminders, mailing-list
  patches and bug-tracker mail;
- dated: a date, a weekday, "for June", "tomorrow", a time of day: the matter has passed by the
  time a draft names it (and a dated subject is most often a periodic report);
- a joke or chain mail: "!!", "??", ALL CAPS, "must have", "joke", "funny"...;
- a greeting or a word with no content ("Hey", "Question", "Test", "Weekly 1:1"), a plan to meet
  ("Lunch Friday?", "Coffee"), a question or a sentence ("Are you okay", "Call me ASAP");
- a URL, an address, a file name, a ticket number, an amount of money, garbled text;
- a sensitive word: the owner's list (policy `sensitive_topics`, whole words, plurals and -ing
  forms too, phrases of up to three words) and a floor of subjects that are never a friendly
  hook whatever the list says (grief, illness, crime, debts and loans, job applicants).

None means "do not name a topic": the draft is then written so that it needs none. A wrongly
refused topic costs a little personal touch; a wrongly quoted one costs the whole draft, so every
rule errs towards refusing.

Pure and fast (it runs per person per plan): precompiled expressions, set lookups per word, and
results cached per (subject, word list).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_TOPIC = 60  # characters: longer subjects are boilerplate, disclaimers or whole sentences

# Reply and forward prefixes in the languages mail clients commonly write (RFC 5322 3.6.5 only
# suggests "Re:"; Outlook localises it: AW/WG German, SV/VS Nordic, Antw/Doorst Dutch, RIF/R
# Italian, TR French, ENC/RES Portuguese, RV Spanish, ODP/PD Polish), with a counter ("Re[2]:"),
# or a [list tag].
_PREFIX = re.compile(
    r"^\s*(?:(?P<word>re|fwd?|aw|wg|sv|vs|antw|doorst|rif|r|tr|enc|res|rv|odp|pd)\s*"
    r"(?:\[\d+\]|\(\d+\))?\s*[:：]|\[(?P<tag>[^\]\n]{0,80})\]?)\s*",
    re.IGNORECASE,
)
_FORWARD_WORDS = frozenset({"fw", "fwd", "wg", "tr", "enc", "doorst", "rv", "pd"})
# List tags that mean the mail is list traffic, not a conversation.
_LIST_TAG = re.compile(
    r"^\s*(?:fwd?\b|fw:|patch|rfc|announce|ann\b|bug|spam|suspected spam|jira|ticket|commit|"
    r"svn|git|pr\b|issue|alert|newsletter|digest)",
    re.IGNORECASE,
)
# URGENT-style markers around the topic ("4-URGENT - OWA ...", "... - PLEASE READ"). A marker
# comes off when it is shouted or set apart by punctuation, so "Important dates" keeps its word.
_MARKER = (
    r"(?:urgent|important|very important|asap|high priority|time[- ]sensitive|please read|"
    r"read me|attn|attention)"
)
_MARK_HEAD = re.compile(
    rf"^(?:\d{{1,2}}\s*[-.)]\s*)?(?P<mark>{_MARKER})\b(?P<sep>[\s]*[:!.\-–—*]+)?\s*",
    re.IGNORECASE,
)
_MARK_TAIL = re.compile(
    rf"(?P<sep>[\s]*[:\-–—(*]+)?\s*\b(?P<mark>{_MARKER})[)!.*\s]*$", re.IGNORECASE
)
# Every marker holds one of these words: an ASCII text with none of them in its lower case has
# no marker, and the searches are not made (_MARK_TAIL tries each position: 2.7 of the 7.3 us
# _clean took per owed subject at bench/rules.py's 1M). Any other text is searched.
_MARK_WORDS = ("urgent", "important", "asap", "priority", "sensitive", "read", "attn", "attention")


def _may_mark(text: str) -> bool:
    if not text.isascii():
        return True
    lowered = text.lower()
    for word in _MARK_WORDS:  # noqa: SIM110 (any() over a generator costs as much as the search)
        if word in lowered:
            return True
    return False


_LEAD_JUNK = re.compile(r"^[\s\-–—:;,.*~#>_=+|/\\]+")
_TAIL_JUNK = re.compile(r"[\s\-–—:;,.!?*~#<_=+|/\\…]+$")
_WRAPPED = re.compile(r'^(?:"(.*)"|\'(.*)\'|“(.*)”|‘(.*)’|\((.*)\)|<(.*)>)$')
_WORD = re.compile(r"[^\W_]+")

# Things a topic never contains.
_FORWARD_SUFFIX = r"\((?:fwd?|forward(?:ed)?)\)\s*$|\bforwarded message\b"
_LINKISH = re.compile(
    r"https?:|www\.|@|\b[\w-]+\.(?:com|net|org|gov|edu|io|co|de|uk)\b|"
    r"\.(?:xlsx?|docx?|pdf|pptx?|zip|txt|csv|jpe?g|png|gif|html?|exe|msg|eml|wav|mp3|mp4|bat|"
    r"py|js|vbs|scr|cmd|rtf|xml|json|log|tiff?|bmp|mov|avi|wmv|ics|vcf)\b|__|"
    r"(?:^|\s)/\w+/|\\\\|=\?",
    re.IGNORECASE,
)
_SHOUT = re.compile(r"[!?]{2,}|!\?|\?!")
_ID_OR_MONEY = re.compile(
    r"\d{5,}|#|\b\d+\.\d{2}\b|[$€£¥]\s?\d|\d\s?%|\d\s?(?:usd|eur|gbp)\b|\d{1,3}(?:,\d{3})+", re.I
)
_REPEATED = re.compile(r"(\w)\1{3,}")  # "Waasszup", "Burrrrrr": banter, not a topic
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATED = re.compile(
    r"\b\d{1,2}/\d{1,3}(?:/\d{2,4})?\b|\b\d{1,2}-\d{1,2}-\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|"
    r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|\b\d{1,2}(?:st|nd|rd|th)\b|"
    r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b|\bat \d{3,4}\b|"
    rf"^{_MONTH}\b|\b{_MONTH}\.?\s*(?:'|’)?\d|\b\d{{1,2}}\s+{_MONTH}\b|"
    rf"\b(?:for|in|of|through|thru|until|till|by|since|from|during|before|after)\s+{_MONTH}\b|"
    r"\b(?:january|feb|february|apr|april|jun|jul|july|aug|sept?|september|oct|october|nov|"
    r"november|dec|december)\b|"
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues|weds|thurs)s?\b|"
    r"\b(?:today|tonight|tomorrow|yesterday)\b|"
    r"\b(?:this|next|last)\s+(?:morning|afternoon|evening|night|week|weekend|month|year|"
    r"quarter)\b|"
    r"\bweek of\b|\bweekend\b",
    re.IGNORECASE,
)
# Every alternative starts with a letter where a word starts (or at the start, `^`): the guard
# in front says so once, `\b(?=\w)`, and the alternatives carry no `\b` of their own. With
# each alternative's `\b`, a search tried all 66 of them at every word start; without it,
# those whose first letter is not there are skipped at once (owed subjects of bench/rules.py's
# 1M: 12 -> 3 us a subject; 1.2 us with `_notice`'s ASCII lower case, below). The same
# matches: tests/rules/test_notice_guard.py holds it to the alternatives each behind `\b`.
_NOTICE = (
    r"\b(?=\w)(?:"
    r"^(?:accepted|declined|tentative|tentatively accepted|canceled|cancelled|updated|"
    r"invitation|updated invitation|new time proposed|meeting (?:request|forward notification)|"
    r"read|not read|delivered|undeliverable|automatic reply|auto[- ]?reply|out of office|"
    r"reminder|notice|notification|alert|action required|action requested|delivery status "
    r"notification|returned mail|bug\s?#?\d*|revised|final|draft|new|update|memo|"
    r"request submitted|fyi|mtg)\b\s*[:\-–]|"
    r"^(?:updated|revised|new notice|final)\b|"
    r"out of (?:the )?office\b|auto(?:matic)?[- ]?(?:reply|response|answer)\b|"
    r"delivery (?:status|failure|notification|has failed|failed)\b|returned mail\b|"
    r"mail delivery\b|failure notice\b|read receipt\b|"
    r"please (?:print|read|review|respond|reply|complete|confirm|note|sign|approve|"
    r"update|submit|see|forward|call)\b|print (?:this|these|it)\b|"
    r"action (?:required|requested|needed|item)\b|(?:out|off) (?:sick|today)\b|"
    r"on (?:vacation|holiday|leave)\b|away from\b|"
    r"scheduled maintenance\b|system (?:notice|message|outage|upgrade|maintenance)\b|"
    r"notice of\b|new notice\b|your (?:account|order|subscription|approval|request)\b|"
    r"access request\b|save the date\b|you(?:'re| are) invited\b|last chance\b|"
    r"free shipping\b|limited time\b|special offer\b|act now\b|click here\b|"
    r"sign up\b|register now\b|now available\b|press release\b|all (?:employees|"
    r"users|staff|personnel|traders)\b|to all\b|status report\b|expense report\b|"
    r"must (?:have|see|read|watch)\b|pass (?:it|this) on\b|forward (?:this|to)\b|"
    r"check (?:this|it) out\b|you have to see\b|too funny\b|good one\b|"
    r"intelligence test\b|top \d+\b|going away\b|happy hour\b|passed away\b|"
    r"going to be out\b|will be out\b|chain (?:letter|mail)\b|lose weight\b|"
    r"(?<!third )(?<!3rd )party\b|coming soon\b|calling all\b|message from\b|"
    r"(?:time|room|venue|date) change\b|change of (?:time|room|venue|date)\b|"
    r"(?:technical|tech|it|systems?|customer|desktop) support\b|help ?desk\b|"
    r"early bird\b|sign[- ]?off\b|last day\b|moving on\b|farewell\b"
    r")"
)


class Caseless:
    """A case-insensitive expression searched fast: an ASCII text (nearly every subject) in its
    lower case with the expression compiled without IGNORECASE, which lets a search skip an
    alternative whose first letter is not there (Python's re skips on a plain letter only).
    The same answer as `expression.search(text)`: ASCII letters are the only ones lower case
    changes in an ASCII text, and the expression is written in lower case (checked here). Any
    other text is searched as written with IGNORECASE, which also folds a few non-ASCII letters
    to ASCII ones (the Kelvin sign to k, the long s to s). Measured on the 2,658 owed subjects
    of bench/rules.py's 1M: _NOTICE 3 -> 1.2 us a subject, replies.py's _TELLS 2.4 -> 0.8.
    `pattern` is compiled with `flags` and IGNORECASE, `lowered` without IGNORECASE."""

    __slots__ = ("_expression", "flags", "lowered", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        if pattern != pattern.lower():
            raise ValueError(f"not written in lower case: {pattern[:40]!r}")
        self.pattern, self.flags = pattern, flags | re.IGNORECASE
        self.lowered = re.compile(pattern, flags & ~re.IGNORECASE)
        self._expression: re.Pattern[str] | None = None

    @property
    def expression(self) -> re.Pattern[str]:
        """The expression with IGNORECASE, compiled at its first use: only a text that is not
        ASCII is searched with it, and compiling them all at import (_NOTICE's alone 2.7 ms)
        was a cost of every process's start, whatever it read (issue 16)."""
        if self._expression is None:
            self._expression = re.compile(self.pattern, self.flags)
        return self._expression

    def search(self, text: str) -> bool:
        """Whether the expression matches anywhere in `text`."""
        if text.isascii():
            return self.lowered.search(text.lower()) is not None
        return self.expression.search(text) is not None


_notice = Caseless(_NOTICE)
_forward_suffix = Caseless(_FORWARD_SUFFIX)

# Single words that mark a notice, a forward, a joke, spam, a plan to meet (the plan has passed
# by the time a draft would name it), or a subject that is never a friendly hook.
_NEVER_WORDS = frozenset(
    {
        # notices and automation
        "autoreply", "undeliverable", "undelivered", "notification", "notifications",
        "notice", "notices", "reminder", "reminders", "alert", "alerts", "announcement",
        "announcements", "announcing", "introducing", "newsletter", "newsletters", "digest",
        "bulletin", "webinar", "unsubscribe", "subscribe", "subscription", "survey", "surveys",
        "questionnaire", "poll", "rsvp", "invitation", "invitations", "invite", "invites",
        "outage", "outages", "maintenance", "upgrade", "upgrades", "migration", "downtime",
        "virus", "mailbox", "quota", "helpdesk", "password", "passwords", "login", "logon",
        "ooo", "fyi", "fw", "fwd", "delayed", "postponed", "rescheduled", "cancelled",
        "canceled", "cancellation", "weekly", "daily", "monthly", "quarterly", "biweekly",
        "automated", "noreply", "unread", "spam", "patch", "commit", "revision",
        "approval", "approve", "approved", "timesheet", "timesheets", "expense", "expenses",
        "vacation", "holidays", "absence", "deadline", "overdue", "registration", "confirmation",
        "receipt", "shipped", "shipping", "order", "memo", "emergency", "workshop", "seminar",
        "course", "class", "training", "webcast", "postcard", "ecard", "scheduled", "test",
        "tests", "testing", "apology", "apologies",
        # news headlines forwarded on: "X Named CFO", "Y Downgraded by Z", "W Says ..."
        "announces", "announced", "named", "resigns", "resigned", "downgraded", "upgraded",
        "downgrades", "reinstates", "acquires", "acquired", "merges", "launches", "launched",
        "unveils", "introduce", "introduces", "hires", "appoints", "appointed", "says",
        "plunges", "soars", "slumps", "sues", "sued", "presents",
        # jokes, chain mail, spam
        "joke", "jokes", "funny", "humor", "humour", "hilarious", "lol", "lmao", "rofl",
        "cartoon", "cartoons", "prank", "riddle", "quiz", "poem", "poam", "luv", "story",
        "stories", "tale", "blonde", "blondes", "redneck", "rednecks", "gotta",
        "free", "win", "winner", "prize", "lottery", "discount", "bargain", "viagra", "casino",
        "xxx", "porn", "sex", "sexy", "nude", "dating",
        # plans to meet: past by the time a draft names them
        "coffee", "lunch", "dinner", "drinks", "beer", "beers", "breakfast", "brunch", "bbq",
        "barbecue", "shower", "golf", "tournament", "outing", "housewarming", "holiday",
        # never a friendly hook, whatever the owner's list says
        "condolence", "condolences", "sympathy", "funeral", "obituary", "memorial", "cancer",
        "chemo", "chemotherapy", "hospital", "surgery", "diagnosis", "divorce", "death",
        "died", "dies", "dying", "rip", "drug", "drugs", "arrest", "arrested", "subpoena",
        "fraud", "investigation", "police", "resume", "resumes", "cv", "interview", "doctor",
        "dentist", "clinic", "therapy", "illness", "injury", "injured", "pregnant", "pregnancy",
        "baby", "probate", "inheritance", "bereavement", "candidate", "candidates",
        "applicant", "applicants", "recruiting", "recruitment", "hiring", "referral", "loan",
        "loans", "mortgage", "debt", "debts", "owe", "owed", "owes", "owing", "foreclosure",
        "foreclose", "lien", "liens", "eviction", "collections", "taxes", "dispute",
    }
)  # fmt: skip
# Words that carry no topic: a subject made only of these names nothing ("Hey", "Quick
# question", "Weekly 1:1", "Call me ASAP please", "Contacts").
_EMPTY_WORDS = frozenset(
    {
        "hi", "hey", "hello", "hiya", "howdy", "yo", "hola", "greetings", "sup", "boo", "ciao",
        "test", "testing", "tests", "question", "questions", "quick", "q", "help", "thanks",
        "thank", "thx", "ty", "congrats", "congratulations", "info", "information", "update",
        "updates", "stuff", "misc", "things", "thing", "call", "calls", "me", "please", "pls",
        "asap", "now", "meeting", "meetings", "mtg", "meet", "sync", "catch", "catchup", "up",
        "checking", "check", "in", "touch", "base", "follow", "followup", "following", "ping",
        "note", "notes", "request", "requests", "re", "your", "my", "our", "the", "a", "an",
        "this", "that", "it", "of", "for", "to", "and", "on", "with", "from", "about", "at",
        "one", "chat", "talk", "contact", "contacts", "list", "address", "addresses", "email",
        "emails", "e", "mail", "phone", "number", "numbers", "no", "subject", "untitled",
        "none", "hmm", "ok", "okay", "yes", "nope", "sorry", "oops", "welcome", "bye",
        "goodbye", "news", "new", "again", "s", "t", "you", "u", "all", "some", "more", "just",
        "time", "today", "here", "there", "hallo", "hej", "salut", "bonjour", "attached",
        "attachment", "file", "files", "document", "documents", "doc", "docs", "link", "links",
        "photo", "photos", "picture", "pictures", "pics", "pic", "fyi", "reply", "response",
        "answer", "answers", "agenda", "minutes", "status", "schedule", "important", "urgent",
        "1on1", "standup", "huddle", "checkin", "miss", "missed", "hope", "well", "fax",
        "pager", "good", "morning", "afternoon", "evening", "saying",
    }
)  # fmt: skip
# A subject that starts with one of these is a question or a sentence, not a topic ("Are you
# okay", "Why the RIAA owes us all an apology", "Call me ASAP please", "Here's the file").
# Words that address the reader or speak for the writer: a sentence, an ad or a note, never a
# topic to name back to someone ("Hallmark cards you'll NEVER see", "Confirm your delivery").
_PERSONAL = frozenset({"you", "your", "yours", "ya", "u", "i", "we", "us", "me", "my", "our"})
_SENTENCE_START = frozenset(
    {
        "are", "is", "am", "was", "were", "do", "does", "did", "can", "could", "would", "will",
        "should", "shall", "have", "has", "had", "how", "what", "why", "when", "where", "who",
        "which", "please", "pls", "i", "im", "we", "you", "your", "youre", "yours", "my", "me",
        "lets", "let", "call", "meet", "check", "see", "read", "print", "remember", "dont",
        "don", "here", "heres", "this", "that", "it", "its", "thought", "thoughts", "just",
        "sorry", "thanks", "thank", "happy", "congrats", "congratulations", "welcome", "hi",
        "hey", "hello", "dear", "guess", "look", "fw", "fwd", "fyi", "re", "send", "sent",
        "get", "got", "need", "want", "move", "stop", "help", "take", "join", "come", "bring",
        "they", "he", "she", "his", "her", "their", "them", "out", "hope",
    }
)  # fmt: skip


def _squeeze(text: str) -> str:
    # str.split() splits on what re's \s matches (Py_UNICODE_ISSPACE), as re.sub(r"\s+", " ",
    # text).strip() did, in a third of the time.
    return " ".join(text.split())


def _strip_once(text: str) -> tuple[str, bool]:
    """One pass of cleaning; also says whether a forward or list-traffic marker was seen."""
    flagged = False
    text = _LEAD_JUNK.sub("", text)
    match = _PREFIX.match(text)
    if match:
        word, tag = match["word"], match["tag"]
        if word and word.lower() in _FORWARD_WORDS:
            flagged = True
        if tag is not None and _LIST_TAG.match(tag):
            flagged = True
        text = text[match.end() :]
    for marker in (_MARK_HEAD, _MARK_TAIL) if _may_mark(text) else ():
        found = marker.search(text)
        if found and (found["sep"] or found["mark"].isupper()):
            text = text[: found.start()] + text[found.end() :]
    text = _TAIL_JUNK.sub("", text)
    wrapped = _WRAPPED.match(text)
    if wrapped:
        text = next(g for g in wrapped.groups() if g is not None)
    return text.strip(), flagged


def _clean(subject: str) -> tuple[str, bool]:
    """The subject without prefixes, tags, markers and edge punctuation, and whether it was a
    forward or list traffic. Repeats until nothing more comes off, so cleaning is idempotent."""
    text = _squeeze(subject)
    flagged = False
    for _ in range(12):  # a subject has a handful of prefixes; bound the loop anyway
        stripped, seen = _strip_once(text)
        flagged |= seen
        if stripped == text:
            break
        text = stripped
    return text, flagged


def clean_topic(subject: str | None) -> str:
    """The subject without reply/forward prefixes, [tags] and URGENT-style markers, white space
    squeezed. Says nothing about whether it is usable: see `usable_topic`."""
    return _clean(subject or "")[0]


@lru_cache(maxsize=64)
def _sensitive_index(sensitive: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The owner's list as single words and phrases (words joined by one space), built once per
    list: a frozenset caches its hash, so finding the index again is one dict lookup."""
    words, phrases = set(), set()
    for entry in sensitive:
        tokens = _WORD.findall(entry.lower())
        if len(tokens) == 1:
            words.add(tokens[0])
        elif tokens:
            phrases.add(" ".join(tokens))
    return frozenset(words), frozenset(phrases)


def _forms(token: str) -> tuple[str, ...]:
    """A word and the forms it may stand for: "reviews" -> review, "invoicing" -> invoice."""
    forms = [token]
    if len(token) > 3:
        if token.endswith(("s", "d")):
            forms.append(token[:-1])
        if token.endswith(("es", "ed", "ly")):
            forms.append(token[:-2])
        if token.endswith("ing"):
            forms += [token[:-3], token[:-3] + "e"]
    return tuple(forms)


def _is_sensitive(tokens: list[str], sensitive: frozenset[str]) -> bool:
    words, phrases = _sensitive_index(sensitive)
    for i, token in enumerate(tokens):
        for form in _forms(token):
            if form in words or form in _NEVER_WORDS:
                return True
        if phrases:
            for n in (2, 3):
                if i + n <= len(tokens) and " ".join(tokens[i : i + n]) in phrases:
                    return True
    return False


def _shouting(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    words = _WORD.findall(text)
    if text.isupper() and letters >= 8 and len(words) >= 2:
        return True
    loud = [w for w in words if len(w) >= 4 and w.isupper()]
    return len(loud) >= 2 and len(loud) * 2 > len(words)


def _garbled(text: str) -> bool:
    return "\ufffd" in text or any(unicodedata.category(ch)[0] == "C" for ch in text)


_NUMBERED = re.compile(r"\s#?\d{1,2}$")
_ONE_ON_ONE = re.compile(r"(?<!\d)1\s*(?::|-|x|on|/)\s*1(?!\d)|\bone[- ]on[- ]one\b", re.I)


@lru_cache(maxsize=1 << 14)
def usable_topic(subject: str | None, sensitive: frozenset[str] = frozenset()) -> str | None:
    """The subject as a topic to name in a draft ("Bishops Corner draw"), or None when it does
    not read as one. `sensitive`: the owner's words that are never quoted (policy
    `sensitive_topics`), matched as whole words, their plurals and -ing forms, or phrases."""
    if not subject or "=?" in subject:  # an RFC 2047 word left undecoded
        return None
    text, flagged = _clean(subject)
    if flagged or not text or len(text) > MAX_TOPIC or _garbled(text):
        return None
    if _forward_suffix.search(text) or _LINKISH.search(text) or _SHOUT.search(subject):
        return None
    if _ID_OR_MONEY.search(text) or _DATED.search(text) or _notice.search(text):
        return None
    if _NUMBERED.search(text):
        return None  # "Pics as promised 4": one of a numbered run, not a topic
    if " " not in text and text.islower():
        return None  # one lower-case word ("duke"): a shorthand, not a topic to name back
    if _ONE_ON_ONE.search(text):
        return None  # "1:1 Lars / Alex": a routine meeting's title names people, not a topic
    tokens = _WORD.findall(text.lower())
    if not any(len(t) >= 2 and not t.isdigit() for t in tokens):
        return None
    if all(t in _EMPTY_WORDS or t.isdigit() for t in tokens):
        return None
    if tokens[0] in _SENTENCE_START or not _PERSONAL.isdisjoint(tokens):
        return None
    if _REPEATED.search(text):
        return None
    if subject.rstrip().endswith("?") and len(tokens) >= 3:
        return None  # a question is not a topic ("Stressed about cash?")
    if _shouting(text) or _is_sensitive(tokens, sensitive):
        return None
    if text.count('"') % 2 or text.count("(") != text.count(")"):
        return None  # cut off mid-quote: a truncated subject
    return text


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one string, white space between them."""
    return frozenset(text.split())


# A short topic (issue 11): the head of a long subject, as the owner would name the matter in a
# sentence ("Sitara price changes for March 2000, Sept - Dec 2001" -> "Sitara price changes").
_FILE_EXTENSION = re.compile(
    r"\.(?:xlsx?|xlsm|docx?|pdf|pptx?|csv|txt|rtf|zip|msg|wpd)$", re.IGNORECASE
)
# Where a subject's head ends: a purpose ("for ..."), a date or a number, a dash, a comma, a colon
# or brackets. What follows is detail the owner need not repeat.
_HEAD_END = re.compile(
    r"\s+(?:for|as of|from|through|thru|dated|on|at|re)\s|\s[-–—]\s|[,:;(\[/]|\s\d|"
    rf"\s(?:{_MONTH})\b|\s(?:q[1-4]|fy\d*|ytd)\b",
    re.IGNORECASE,
)
MAX_SHORT_WORDS = 5
# Words a head cannot end on: it was cut after a joining word.
_DANGLING = word_set("re fw fwd for of the a an and or to with from on at in by as per vs")
# Title-cased words a person writes in lower case in a sentence ("Muni Bond Proposal" -> "muni
# bond proposal"); any other capitalised word is kept (a name: "Sitara", "Bishops Corner").
_COMMON = word_set(
    """proposal proposals price prices pricing change changes bond bonds muni contract contracts
    deal deals schedule schedules budget budgets plan plans agreement agreements invoice invoices
    review draft drafts update updates request requests numbers model models spreadsheet list
    lists draw draws payment payments estimate estimates quote quotes offer offers letter memo
    analysis forecast forecasts file files project presentation slides terms term sheet rates
    rate adjustments adjustment fixes partnership transfer ladder portfolio statement statements
    paperwork application form forms resume questions question issue issues position positions
    inventory meeting call lunch dinner trip visit interview offer paper report"""
)


def _owned(word: str) -> str:
    """A word without its possessive, lower case ("Phillip's" -> "phillip")."""
    word = word.lower()
    return word[:-2] if word.endswith(("'s", "’s")) else word


def short_topic(
    subject: str | None, sensitive: frozenset[str] = frozenset(), owner_name: str = ""
) -> str | None:
    """The matter a subject names, short, as a sentence says it, or None: the owner's own names,
    a file extension and everything from a purpose, a date or punctuation on are dropped
    ("Phillip Allen Muni Bond Proposal.xls" -> "muni bond proposal"); what is left must read as
    a topic (`usable_topic`, with the owner's `sensitive` words) of two to five words. A subject
    that reads as a topic as it stands is kept whole. Its words are always the first words of the
    cleaned subject after the owner's names."""
    if not subject or "=?" in subject:
        return None
    text, flagged = _clean(subject)
    text = _FILE_EXTENSION.sub("", text).strip()
    if flagged or _forward_suffix.search(text) or _LINKISH.search(text) or _SHOUT.search(subject):
        return None
    own = {_owned(w) for w in owner_name.split() if len(w) >= 2}
    words = text.split(" ")
    while words and _owned(words[0]) in own:
        words = words[1:]
    text = " ".join(words)
    if usable_topic(text, sensitive) is None and len(text) <= MAX_TOPIC and not _DATED.search(text):
        return None  # short, yet no topic: the head of it is none either
    # A subject that reads as a topic as it stands is kept whole ("Partnership terms for the
    # Lisbon pilot"); only one that does not (long, dated) is cut to its head.
    whole = usable_topic(text, sensitive) is not None
    cut = None if whole else _HEAD_END.search(" " + text)
    head = text[: max(cut.start() - 1, 0)] if cut else text
    head = _TAIL_JUNK.sub("", head).strip()
    words = head.split(" ")
    while words and words[-1].lower() in _DANGLING:
        words = words[:-1]  # "Sitara re: ..." cut at the colon: "Sitara"
    head = " ".join(words)
    # A head (not the whole subject) is two to five words, cut or not: a long run of words with
    # no purpose, date or punctuation to cut at is no head either (hypothesis found "Sitara
    # Sitara ... Muni of", nine words).
    if not head or (not whole and not 2 <= len(words) <= MAX_SHORT_WORDS):
        return None
    if _is_sensitive(_WORD.findall(text.lower()), sensitive):
        return None  # the detail cut off named something sensitive: the matter is too
    if all(w[:1].isupper() for w in words if w[:1].isalpha()) and len(words) > 1:
        words = [w.lower() if w.lower() in _COMMON else w for w in words]
    elif len(words) > 1 and words[0][1:].islower() and words[0].lower() in _COMMON:
        words[0] = words[0].lower()  # a sentence's capital: "Budget for the Lisbon office"
    found = usable_topic(" ".join(words), sensitive)
    return found if found is not None and found == " ".join(words) else None

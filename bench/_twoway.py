"""Independent ground truth: who does a mailbox owner have a two-way relationship with?

Stdlib only; shares no code with the product it is used to check (written apart from touchbase,
brought in for bench/judgment.py; keep it that way: never import touchbase here). Checked
against the corpora's answer keys (enron/derived/reference_last_contact_*.json): its sent counts
equal the keys' counts for every address of allen-p and germany-c.

Counting rules
--------------
* Every regular file under MAILDIR (all folders, recursively) is one message.
  Headers only: email.parser.BytesHeaderParser with email.policy.compat32.
* Addresses come from email.utils.getaddresses, are lower-cased with angle
  brackets stripped; anything without an "@" is ignored.
* Date: email.utils.parsedate_to_datetime; naive results are taken as UTC;
  all dates are converted to aware UTC.  A message with a missing or
  unparseable Date is skipped and recorded in the module-level list
  ``SKIPPED`` (file paths), which is reset by every call to ``count``.
  Absurd but parseable dates (e.g. 1979/1980) are kept.
* ``until``: only messages dated at or before it count (naive = UTC).
* Copies collapse: two files are the same message when they share a
  Message-ID OR share (parsed Date, subject with any leading Re:/Fw:/Fwd:
  prefixes stripped and lower-cased, sorted To list, first From address).
  The relation is made transitive (union-find); a collapsed message's
  recipients are the union over its copies and its date is the earliest copy.
* A message is the owner's when its first From address is an owner address.
  sent[a]     = distinct owner messages with a in To or Cc (Bcc ignored).
  received[a] = distinct messages whose first From is a and which have an
                owner address in To, Cc or Bcc.
  Owner addresses are never correspondents.
* two_way = sent >= 2 and received >= 2.
* name = display name most often used by the address on its own From
  (over distinct messages it sent, whoever they went to); ties go to the
  lexicographically smallest name; "" if it never used one.
* last_sent / last_received = latest date of a counted message (UTC) or None.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

SKIPPED: list[str] = []  # paths skipped for a missing/unparseable Date in the last count()
_PREFIX = re.compile(r"^\s*(?:re|fwd?)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Tally:
    address: str
    sent: int
    received: int
    two_way: bool
    name: str
    last_sent: datetime | None
    last_received: datetime | None


def _addrs(msg, *fields) -> list[tuple[str, str]]:
    """(display name, address) pairs of the given header fields, cleaned."""
    out = []
    for name, addr in getaddresses([str(v) for f in fields for v in (msg.get_all(f) or [])]):
        addr = addr.strip().strip("<>").strip().lower()
        if "@" in addr:
            out.append((name.strip(), addr))
    return out


def _subject(raw) -> str:
    s = " ".join(str(raw or "").split())
    while m := _PREFIX.match(s):
        s = s[m.end() :]
    return s.strip().lower()


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _read(maildir: Path, until: datetime | None) -> list[dict]:
    parser = BytesHeaderParser(policy=policy.compat32)
    msgs = []
    for root, dirs, files in os.walk(maildir):
        dirs.sort()
        for fname in sorted(files):
            path = os.path.join(root, fname)
            with open(path, "rb") as fh:
                msg = parser.parse(fh)
            try:
                date = _utc(parsedate_to_datetime(str(msg["Date"])))
            except (TypeError, ValueError, IndexError, OverflowError):
                SKIPPED.append(path)
                continue
            if until is not None and date > until:
                continue
            frm = _addrs(msg, "From")
            to = _addrs(msg, "To")
            msgs.append(
                dict(
                    date=date,
                    from_name=frm[0][0] if frm else "",
                    sender=frm[0][1] if frm else "",
                    to_cc={a for _, a in to + _addrs(msg, "Cc")},
                    all_rcpt={a for _, a in to + _addrs(msg, "Cc", "Bcc")},
                    keys=[
                        k
                        for k in (
                            ("mid", str(msg["Message-ID"] or "").strip()),
                            (
                                "content",
                                date,
                                _subject(msg["Subject"]),
                                tuple(sorted(a for _, a in to)),
                                frm[0][1] if frm else "",
                            ),
                        )
                        if k[1]
                    ],
                )
            )
    return msgs


def _collapse(msgs: list[dict]) -> list[list[dict]]:
    """Group copies: union-find over messages sharing any key."""
    parent = list(range(len(msgs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner_of_key: dict = {}
    for i, m in enumerate(msgs):
        for k in m["keys"]:
            j = owner_of_key.setdefault(k, i)
            parent[find(i)] = find(j)
    groups = defaultdict(list)
    for i, m in enumerate(msgs):
        groups[find(i)].append(m)
    return list(groups.values())


def count(
    maildir: str | Path, owner: Iterable[str], until: datetime | None = None
) -> dict[str, Tally]:
    SKIPPED.clear()
    owners = {o.strip().strip("<>").lower() for o in owner}
    until = _utc(until) if until is not None else None
    sent, received, names = Counter(), Counter(), defaultdict(Counter)
    last_s: dict[str, datetime] = {}
    last_r: dict[str, datetime] = {}
    for copies in _collapse(_read(Path(maildir), until)):
        first = copies[0]  # all copies share the first From (content key) or Message-ID
        date = min(c["date"] for c in copies)
        sender = first["sender"]
        if sender and sender not in owners:
            names[sender][first["from_name"]] += 1
        if sender in owners:
            for a in set().union(*(c["to_cc"] for c in copies)) - owners:
                sent[a] += 1
                last_s[a] = max(last_s.get(a, date), date)
        elif sender and owners & set().union(*(c["all_rcpt"] for c in copies)):
            received[sender] += 1
            last_r[sender] = max(last_r.get(sender, date), date)
    result = {}
    for a in sorted(set(sent) | set(received)):
        named = [(-n, s) for s, n in names[a].items() if s]
        result[a] = Tally(
            a,
            sent[a],
            received[a],
            sent[a] >= 2 and received[a] >= 2,
            min(named)[1] if named else "",
            last_s.get(a),
            last_r.get(a),
        )
    return result


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.exit("usage: _twoway.py MAILDIR OWNER[,OWNER...]")
    tallies = count(args[0], args[1].split(","))
    two = sorted(
        (t for t in tallies.values() if t.two_way),
        key=lambda t: (-(t.sent + t.received), t.address),
    )
    print(
        json.dumps(
            {
                "maildir": args[0],
                "owner": args[1].split(","),
                "correspondents": len(tallies),
                "two_way": len(two),
                "skipped_unparseable_date": len(SKIPPED),
                "top_two_way": [
                    dict(
                        address=t.address,
                        name=t.name,
                        sent=t.sent,
                        received=t.received,
                        last_sent=t.last_sent and t.last_sent.isoformat(),
                        last_received=t.last_received and t.last_received.isoformat(),
                    )
                    for t in two[:20]
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

"""The stored mail in the threads of given mail, found as the fold keys its threads.

The fold's per-thread memory (who started a thread, who answered it) is built from everyone's
messages in it (rules/threads.thread_keys_of: a provider thread id, else the root Message-ID,
else a new message's own id, or a stripped subject for mail with neither header nor thread id).
So a fold of a few people (a partial refold, a person's page) reads the rest of their threads'
mail, and a stored page marks the people of the threads it joins (contact_state.mark_page).
Each thread is found through an index: Message-ID, In-Reply-To, provider thread id, and the
stripped subject's key (migration 0012). Rows are shaped as history's `_columns`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from touchbase.agent.pipeline.history import _FIELD, _PARTY, _batches, _columns, _when
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.subject_keys import key_of
from touchbase.rules.threads import subject_info, thread_keys_of
from touchbase.rules.types import DRAFT, FROM, TO, Interaction


def thread_mates(
    connection: Connection,
    message_ids: Iterable[str],
    thread_ids: Iterable[str],
    subjects: Iterable[str] = (),
) -> list[int]:
    """The ids of the stored mail in the threads of these Message-IDs (a new message's own id,
    In-Reply-To, References), provider thread ids and subjects (of mail with neither header
    nor thread id, whose thread the fold keys by its stripped subject), as `same_threads`
    follows them."""
    # Rows shaped as `_columns` (id 0 is no row's): only the kind, subject and thread fields
    # are read. Each id as an In-Reply-To: the messages with it and the replies to it are both
    # wanted. A subject alone, with no header, has the "s:" key its mail has.
    seed: list[tuple[Any, ...]] = [
        (0, 0, "mail", None, None, None, None, m, None, None) for m in message_ids
    ]
    seed += [(0, 0, "mail", None, None, None, None, None, None, t) for t in thread_ids]
    seed += [(0, 0, "mail", None, None, s, None, None, None, None) for s in subjects]
    return [row[0] for row in same_threads(connection, _columns(), seed)]


def _subject_mates(
    connection: Connection,
    rows: Sequence[Sequence[Any]],
    have: set[int],
    touching: Collection[str] | None,
) -> list[Sequence[Any]]:
    """The stored mail in the subject threads of `rows` (shaped as `_columns`) not in `have`
    (which gains them): a reply with neither header nor thread id joins the thread of its
    stripped subject, which a new message starts besides its own (threads.thread_keys_of).
    Read under each subject's key (ix_interactions_subject_key), kept when its own key is the
    same (`_in_subject_thread`).

    Bounded, exactly: a subject thread's state in the fold (who started it: its first message;
    whether someone answered: its latest reply) is read only by the mail that carries its key,
    for its sender (a reply in the owner's thread) and its To (the owner's question awaiting
    an answer), never for a Cc or for a third party's mail to a group (rules/contacts.py
    `sent`, `received`). So only these rows' own subjects are followed, not the subjects of
    the mail that finds (their subject threads concern other people), and with `touching` (a
    few people's rows) only from rows where one of them is the sender or in To: a Cc on the
    owner's "topic" to their busiest contact pulled in that contact's 1,750 rows under it."""
    subjects: set[str] = set()
    for row in rows:
        subject = _subject_thread(row)
        if subject and (touching is None or _sends_or_receives(row[12], touching)):
            subjects.add(subject)
    if not subjects:
        return []
    i = Row.__table__
    whole = _columns().where(i.c.kind == "mail", i.c.id.in_(bindparam("ids", expanding=True)))
    keys = sorted({key_of(subject) for subject in subjects})
    under = sorted(set(_ids_under(connection, "subject_key", keys)) - have)
    out: list[Sequence[Any]] = []
    for start in range(0, len(under), _IDS):
        for row in connection.execute(whole, {"ids": under[start : start + _IDS]}):
            if _in_subject_thread(row, subjects):
                have.add(row[0])
                out.append(tuple(row))
    return out


def _sends_or_receives(parties: str | None, addresses: Collection[str]) -> bool:
    """Whether one of `addresses` is the sender or in To in a row's `parties` text (None: the
    text could not hold them, so the row is taken as theirs)."""
    if parties is None:
        return True
    for piece in parties.split(_PARTY):
        address, role, _rest = piece.split(_FIELD, 2)
        if role in (FROM, TO) and address in addresses:
            return True
    return False


def _subject_thread(row: Sequence[Any]) -> str | None:
    """`subject_thread` of a row shaped as `_columns`."""
    if row[2] != "mail":
        return None
    refs = row[8]
    return subject_thread(row[5], row[6], row[7], tuple(refs.split()) if refs else (), row[9])


def subject_thread(
    subject: str | None,
    message_id: str | None,
    in_reply_to: str | None,
    references: tuple[str, ...],
    thread_id: str | None,
) -> str | None:
    """The stripped subject of a mail's thread key "s:{subject}" (a new message's alternative
    key, or a headerless reply's only one), None if its keys hold none."""
    keyed = subject_thread_key(subject, message_id, in_reply_to, references, thread_id)
    return None if keyed is None else keyed[0]


def subject_thread_key(
    subject: str | None,
    message_id: str | None,
    in_reply_to: str | None,
    references: tuple[str, ...],
    thread_id: str | None,
) -> tuple[str, bool] | None:
    """(the stripped subject of a mail's "s:" key, whether it is the mail's thread: a
    headerless reply's, not a new message's alternative), None if its keys hold none: the
    fold's own keys (rules/threads.thread_keys_of). The account name only enters a provider
    thread's key, which never is a subject's, so it is left empty."""
    info = subject_info(subject)
    if not info.stripped:
        return None
    item = Interaction(
        0, "", "mail", _NO_TIME, (), subject, None, message_id, in_reply_to, references, thread_id
    )
    thread, starts, _reply = thread_keys_of(item, info.stripped, info.reply)
    key = f"s:{info.stripped}"
    if thread == key:
        return info.stripped, True
    return (info.stripped, False) if starts == key else None


def moved_subjects(
    connection: Connection,
    mail: Iterable[tuple[str, datetime, bool]],
    counted_until: datetime | None = None,
) -> set[str]:
    """Of the subject threads that new mail joins, `mail` as (stripped subject, when, whether
    the subject key is its thread: `subject_thread_key`), those whose state in the fold it may
    change for anyone else, so that their people are marked (contact_state.mark_page; with
    `counted_until`, for stored mail that crossed into the past after that moment, only the
    mail dated up to it is taken as stored: contact_state._crossed).

    A subject thread's state is who started it (its first counted message: if a new message,
    maybe the owner; if a reply, nobody) and its latest reply (read only if the owner started
    it). So new mail moves it when it comes first and it or the first stored one is a new
    message, or when it is a reply after a first that is a new message. A new message after
    the first moves nothing ("Newsletter": 50,273 rows at bench/rules.py's 1M, not read at
    every newsletter), nor does a reply in a thread begun by a reply, first or not ("Re:
    catching up" x 100 a sync, which marked the previous sync's 100 people: 1.7 s instead of
    0.9 s for the evaluation after it). The first stored message is read in time order from
    ix_interactions_subject_key: mail in another thread under the key, drafts and failure
    notices (the fold does not count them) are passed over; if none is found in the first
    _FIRST rows (and there are more), the thread is taken as moved."""
    from touchbase.rules.life_events import FAILED, is_failure_notice

    i = Row.__table__
    moved: set[str] = set()
    for stripped, at, reply in sorted(set(mail)):
        if stripped in moved:
            continue
        first = _columns().where(i.c.kind == "mail", i.c.subject_key == key_of(stripped))
        if counted_until is not None:
            first = first.where(i.c.occurred_at <= counted_until)
        first = first.order_by(i.c.occurred_at, i.c.id).limit(_FIRST)
        earliest = None
        read = 0
        for row in connection.execute(first):
            read += 1
            refs = tuple(row[8].split()) if row[8] else ()
            keyed = subject_thread_key(row[5], row[6], row[7], refs, row[9])
            if keyed is None or keyed[0] != stripped:
                continue  # another thread under the key
            flags = set((row[11] or "").split(","))
            if DRAFT in flags or row[10] == "drafts":
                continue
            parties = [piece.split(_FIELD, 2)[:2] for piece in (row[12] or "").split(_PARTY)]
            sender = next((a for a, role in parties if role == FROM), None)
            if any(role == FAILED for _a, role in parties) or (
                sender is not None and is_failure_notice(sender, row[5])
            ):
                continue
            earliest = (_when(row[3]), keyed[1])
            break
        if earliest is None or earliest[0] is None:
            if read >= _FIRST:
                moved.add(stripped)  # (not looked further)
            continue  # nothing stored in the thread: its people are all on the page
        comes_first = earliest[0] > at  # (at the same time, the stored one has the lower id)
        begun_new = not earliest[1]
        if (comes_first and not reply) or (begun_new and (comes_first or reply)):
            moved.add(stripped)
    return moved


_FIRST = 20  # stored messages read for a subject thread's first


_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # (thread_keys_of reads no time)


def _in_subject_thread(row: Sequence[Any], wanted: Collection[str]) -> bool:
    """Whether `row`, read under a wanted subject's key, is in that subject's thread: its own
    "s:" key is one of `wanted` (a key is a 32-bit hash: another subject may share it; and mail
    with In-Reply-To, References or a thread id is in another thread, whatever its subject)."""
    return _subject_thread(row) in wanted


def _thread_refs(rows: Sequence[Sequence[Any]]) -> tuple[set[str], set[str], set[str]]:
    """What `rows` (shaped as `_columns`) lead to: the Message-IDs whose replies are wanted
    (their own, In-Reply-To and References), the ids of their ancestors (In-Reply-To and
    References: the messages with those ids are wanted too), and their provider thread ids."""
    ids: set[str] = set()
    parents: set[str] = set()
    threads: set[str] = set()
    for row in rows:
        mid, reply, refs, thread = row[6], row[7], row[8], row[9]
        if mid:
            ids.add(mid)
        if reply:
            parents.add(reply)
        if refs:
            parents.update(refs.split())
        if thread:
            threads.add(thread)
    return ids | parents, parents, threads


def same_threads(
    connection: Connection,
    query: Any,
    rows: Sequence[Sequence[Any]],
    touching: Collection[str] | None = None,
) -> list[Sequence[Any]]:
    """The other stored mail of the threads of `rows`, by Message-ID and provider thread id.

    The fold keys a thread by the provider's thread id, else its root (the first References
    entry or In-Reply-To), else a new message's own Message-ID (rules/threads.thread_keys_of).
    So from each message its In-Reply-To and References lead to the messages with those ids
    (its ancestors and their copies), and those and its own id to the replies to them
    (ix_interactions_in_reply_to), again from what that found until nothing new comes, plus the
    mail with the same provider thread ids (ix_interactions_thread_id), plus the mail in the
    subject threads of `rows` (`_subject_mates`; `touching`: the addresses whose rows these
    are, as there)."""
    i = Row.__table__
    have = {row[0] for row in rows}
    asked_ids: set[str] = set()
    asked_threads: set[str] = set()
    out = _subject_mates(connection, rows, have, touching)
    new = [row for row in rows if row[2] == "mail"]
    mail = query.where(i.c.kind == "mail")
    asked_parents: set[str] = set()
    while new:
        ids, parents, threads = _thread_refs(new)
        # A message's own id is not looked up as a parent: its copies in other accounts have
        # its parties, so they are loaded already, and most mail is no reply (one lookup that
        # finds nothing instead of reading each message again).
        wanted_parents = sorted(parents - asked_parents)
        wanted_ids = sorted(ids - asked_ids)
        wanted_threads = sorted(threads - asked_threads)
        asked_parents.update(wanted_parents)
        asked_ids.update(wanted_ids)
        asked_threads.update(wanted_threads)
        new = []
        queries = (
            [mail.where(i.c.message_id.in_(chunk)) for chunk in _chunked(wanted_parents)]
            + [mail.where(i.c.in_reply_to.in_(chunk)) for chunk in _chunked(wanted_ids)]
            + [mail.where(i.c.thread_id.in_(chunk)) for chunk in _chunked(wanted_threads)]
        )
        for each in queries:
            for batch in _batches(connection, each):
                for row in batch:
                    if row[0] not in have:
                        have.add(row[0])
                        new.append(row)
        out.extend(new)
    return out


def _chunked(items: list[Any], size: int = 400) -> Iterator[list[Any]]:
    """IN lists small enough for SQLite's parameter limit (two lists per query)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def probed_threads(
    connection: Connection,
    query: Any,
    rows: Sequence[Sequence[Any]],
    touching: Collection[str] | None = None,
) -> list[Sequence[Any]]:
    """`same_threads`, the same rows (in another order), found in two steps: the ids under
    each wanted Message-ID, In-Reply-To and thread id first, from their indexes alone (no row
    is read), then whole rows only for the ids not loaded already. A busy person's thread
    mates are mostly their own mail: for the busiest of bench/rules.py's 1M interactions
    (35,117, every one of them found again) the whole-row lookups took 0.12-0.17 s CPU, the id
    probes 0.03-0.06 s. The kind is checked on the whole rows (the indexes do not hold it)."""
    i = Row.__table__
    have = {row[0] for row in rows}
    asked_ids: set[str] = set()
    asked_parents: set[str] = set()
    asked_threads: set[str] = set()
    out = _subject_mates(connection, rows, have, touching)
    whole = query.where(i.c.kind == "mail", i.c.id.in_(bindparam("ids", expanding=True)))
    new = [row for row in rows if row[2] == "mail"]
    while new:
        ids, parents, threads = _thread_refs(new)
        # (As in `same_threads`: a message's own id is not looked up as a parent.)
        wanted = [
            ("message_id", sorted(parents - asked_parents)),
            ("in_reply_to", sorted(ids - asked_ids)),
            ("thread_id", sorted(threads - asked_threads)),
        ]
        asked_parents.update(wanted[0][1])
        asked_ids.update(wanted[1][1])
        asked_threads.update(wanted[2][1])
        found: set[int] = set()
        for column, keys in wanted:
            found.update(_ids_under(connection, column, keys))
        fresh = sorted(found - have)
        new = []
        for start in range(0, len(fresh), _IDS):
            for row in connection.execute(whole, {"ids": fresh[start : start + _IDS]}):
                have.add(row[0])
                new.append(tuple(row))
        out.extend(new)
    return out


_IDS = 900  # values per IN list: inside the oldest SQLite limit on bound parameters


def _ids_under(connection: Connection, column: str, keys: Sequence[object]) -> Iterator[int]:
    """The ids of the interactions whose `column` is one of `keys` (an indexed column)."""
    i = Row.__table__
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    for start in range(0, len(keys), _IDS):
        chunk = keys[start : start + _IDS]
        if raw is not None:
            # Straight to the driver: SQLAlchemy made a bound name per value of an expanded IN
            # list, 0.04-0.06 s (cProfile) over the busiest person's 35,117 Message-IDs.
            marks = ",".join("?" * len(chunk))
            text = f"SELECT id FROM interactions WHERE {column} IN ({marks})"  # our own names
            yield from (x for (x,) in raw.execute(text, chunk))
        else:
            probe = select(i.c.id).where(i.c[column].in_(chunk))
            yield from (x for (x,) in connection.execute(probe))

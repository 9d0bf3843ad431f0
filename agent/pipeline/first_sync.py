"""A first sync's shortcuts: no dirty marks and no deferred indexes while no state exists.

Into an empty store whose contact state was never folded, a sync run's pages store no dirty
marks (`unfolded`) and insert without the indexes in DEFERRED_INDEXES, which the run builds once
at its end (`defer_or_build_indexes`, `build_indexes`). Both only change how fast, never what a
reader finds (issue 16).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Index, Table, inspect, select, update
from sqlalchemy.schema import CreateIndex, DropIndex

from touchbase.agent.pipeline.bulk import bulk_insert
from touchbase.agent.pipeline.models import ContactStateHeader, InteractionRow
from touchbase.agent.pipeline.rows import INTERACTIONS, PARTICIPANTS

# The contact state's header while no state was ever folded (contact_state.py): pages stored
# then need no dirty marks, for the first evaluation folds everyone anyway.
UNFOLDED = "unfolded"  # a fingerprint no fold writes (they are sha256 hex digests)
_STATE_HEADER = 1  # the header's one row (contact_state._HEADER)
_NEVER = datetime(1, 1, 1, tzinfo=UTC)
HEADER: Table = ContactStateHeader.__table__  # type: ignore[assignment]


def unfolded(connection: Connection) -> bool:
    """True when no contact state exists yet (a first sync): the page then stores no dirty
    marks (contact_state.mark_page: for 100,000 messages a third of a first sync's client CPU,
    its thread look-ups most of it), and the state's header says that pages came unmarked.

    Sound against an evaluation folding meanwhile: its full fold read the interactions before
    this page, and writes its state afterwards either by inserting the header (which this page
    inserted first: IntegrityError, nothing written) or by updating it where the generation is
    still the one it read (this page bumped it: nothing written). The next evaluation finds a
    fingerprint that is not its own and folds everyone, this page included. A header any fold
    wrote (the state exists) gets the marks as always. Called under the page's write lock
    (`store._take_turns`); on PostgreSQL a header inserted concurrently makes the insert do nothing,
    and the page is marked.
    """
    bumped = connection.execute(
        update(HEADER)
        .where(HEADER.c.id == _STATE_HEADER, HEADER.c.fingerprint == UNFOLDED)
        .values(generation=HEADER.c.generation + 1)
    )
    if bumped.rowcount == 1:
        return True
    return (
        bulk_insert(
            connection,
            HEADER,
            ("id", "fingerprint", "folded_at", "generation", "identities"),
            [(_STATE_HEADER, UNFOLDED, _NEVER, 1, '{"people": {}, "names": {}}')],
            skip_conflicts_on=("id",),
        )
        == 1
    )


# The participants' index by address costs a first sync more than anything else it writes:
# its keys arrive in no order (the rows by interaction id, always ascending, append to the end
# of their index). 100,000 IMAP messages, 240,000 participants, stored page by page into an
# empty SQLite store (tmpfs): 4.1 s maintaining every index, 2.8-3.5 s without the participants'
# two plus 0.2 s to build them once at the end (issue 16). The interactions' indexes by
# Message-ID, In-Reply-To, thread, date and subject key (migration 0012) are left out too
# (their keys arrive in no order either: another 0.5 s of a first sync of 100,000, 0.2 s to
# build at the end); nothing a page stores looks them up while no contact state was folded
# (`Store.save_page` builds them before the dirty marks that do). Kept: the unique key (a page's
# conflicts), the participants' interaction index (the pages' own look-ups: a stored message's
# sender, a meeting's former attendees, a cascade), and the partial indexes no mail enters.
_DEFERRED_NAMES = (
    "ix_participants_address",
    "ix_interactions_message_id",
    "ix_interactions_in_reply_to",
    "ix_interactions_thread_id",
    "ix_interactions_occurred_at",
    "ix_interactions_subject_key",
)
DEFERRED_INDEXES: tuple[Index, ...] = tuple(
    index
    for index in (*PARTICIPANTS.indexes, *INTERACTIONS.indexes)
    if index.name in _DEFERRED_NAMES
)


def defer_or_build_indexes(connection: Connection) -> None:
    """At the start of a sync run: an empty store (no interaction at all) with no contact state
    folded yet drops DEFERRED_INDEXES, so the run's pages insert without maintaining them; any
    other store gets them back if they are missing.

    Why this is safe: every page still commits with its cursor, and an index changes how fast
    a query runs, never what it returns. A first sync killed half-way leaves stored pages and
    no indexes; the next run (the restart) finds the store not empty and builds them before its
    first page. Two runs starting on one empty store both go without; whichever finishes first
    builds them, and the other's remaining pages maintain them as usual. A state folded (by an
    evaluation) before or during the first sync makes its pages mark what they touch, which
    looks stored mail up by Message-ID and thread: those pages build the indexes first.
    """
    _one_at_a_time(connection)
    empty = connection.execute(select(InteractionRow.id).limit(1)).first() is None
    if empty:
        fingerprint = connection.execute(
            select(HEADER.c.fingerprint).where(HEADER.c.id == _STATE_HEADER)
        ).scalar()
        empty = fingerprint is None or fingerprint == UNFOLDED
    _set_indexes(connection, present=not empty)


# pg_advisory_xact_lock(int, int): "ti" in ASCII (touchbase indexes), beside run_lock's ("tr", id)
# and the daemon's ("tb", 1).
INDEX_CLASS, INDEX_OBJECT = 0x7469, 1


def _one_at_a_time(connection: Connection) -> None:
    """On PostgreSQL, runs look at and change DEFERRED_INDEXES one at a time, until their
    transaction ends. Two runs starting at once on one empty store each read the interactions
    (ACCESS SHARE, held to the end) and then asked for ACCESS EXCLUSIVE on them to drop the
    indexes: each waited for the other (a deadlock, seen on a fresh CI run). SQLite needs
    nothing: its write lock is held already."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(%s, %s)", (INDEX_CLASS, INDEX_OBJECT)
        )


def build_indexes(connection: Connection) -> None:
    """Create whichever of DEFERRED_INDEXES is missing (one pass over the table each)."""
    _set_indexes(connection, present=True)


def _set_indexes(connection: Connection, *, present: bool) -> None:
    """Make DEFERRED_INDEXES exist (or not); one look at the catalogue when they already do.

    Called after the transaction's first write: SQLite then holds the write lock, so no other
    run's DDL comes between the look and the change. PostgreSQL would let two runs race on the
    catalogue (a duplicate index name), so the table is locked first: SHARE ROW EXCLUSIVE
    conflicts with itself and with writers, not with readers; a DROP INDEX needs ACCESS
    EXCLUSIVE anyway.
    """
    _one_at_a_time(connection)
    names = set(_index_names(connection))
    todo = [index for index in DEFERRED_INDEXES if (index.name in names) != present]
    if not todo:
        return
    if connection.dialect.name == "postgresql":
        mode = "SHARE ROW EXCLUSIVE" if present else "ACCESS EXCLUSIVE"
        quote = connection.dialect.identifier_preparer.format_table
        tables = ", ".join(quote(table) for table in (INTERACTIONS, PARTICIPANTS))
        connection.exec_driver_sql(f"LOCK TABLE {tables} IN {mode} MODE")
    for index in todo:
        if present:
            connection.execute(CreateIndex(index, if_not_exists=True))
        else:
            connection.execute(DropIndex(index, if_exists=True))


def _index_names(connection: Connection) -> list[str]:
    """The names of the indexes on the two tables DEFERRED_INDEXES belong to: one catalogue
    query (the inspector's is one per table and then one per index on SQLite)."""
    if connection.dialect.name == "sqlite":
        return list(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN (?, ?)",
                (PARTICIPANTS.name, INTERACTIONS.name),
            ).scalars()
        )
    inspector = inspect(connection)
    return [
        index["name"]
        for table in (PARTICIPANTS.name, INTERACTIONS.name)
        for index in inspector.get_indexes(table)
        if index["name"]
    ]

"""Exported files as an account: mbox, Maildir, .eml folders, .ics; an outbox for drafts."""

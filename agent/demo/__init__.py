"""The demo sample: a year of mail and meetings, written as real Maildir and .ics files."""

"""CalDAV calendars and CardDAV address books (RFC 4791, 6352), synced by RFC 6578 reports."""

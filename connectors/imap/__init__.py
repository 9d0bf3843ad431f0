"""Any IMAP server: header-only sync with exact per-folder cursors, and drafts by APPEND."""

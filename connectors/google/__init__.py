"""Gmail and Google Calendar through google-api-python-client: metadata only, batched."""

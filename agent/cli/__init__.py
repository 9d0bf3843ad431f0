"""The `touchbase` command line: a thin front end over the service."""

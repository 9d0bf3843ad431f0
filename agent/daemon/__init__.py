"""The background service: scheduled cycles, one instance per database, systemd integration."""

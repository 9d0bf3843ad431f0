"""Behind the service: configuration, the store, sync, evaluation, drafting and the outbox."""

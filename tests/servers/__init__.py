"""Private, throw-away servers for tests and benchmarks (TESTING.md has the recipes)."""

"""Domain models: scoring rules and the office's calendar."""

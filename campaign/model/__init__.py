"""Domain models: the assessment framework, scoring rules, the office's weeks and calendar, street outlines."""

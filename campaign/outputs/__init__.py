"""What the office sends out after the meeting: per-unit notices (交办单), the meeting deck and the published
rankings."""

"""What the office sends out after the meeting: per-unit notices (交办单) and the meeting deck."""

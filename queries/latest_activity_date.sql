-- The last day with a ledger entry (the default "this week" ends in its week).
SELECT max(found_on) AS latest FROM problems

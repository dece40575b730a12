-- Problems found per standard × street in a period ($start..$end): how often each short board keeps coming back.
SELECT standard_code, street, count(*) AS problems
FROM problems
WHERE found_on BETWEEN $start AND $end AND standard_code IS NOT NULL AND street IS NOT NULL
GROUP BY standard_code, street

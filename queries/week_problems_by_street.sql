-- Problems found and deduction per street in one period ($start..$end), every street listed.
SELECT s.street, count(p.problem_id) AS problems, coalesce(sum(p.deduction), 0) AS deduction
FROM streets s
LEFT JOIN problems p ON p.street = s.street AND p.found_on BETWEEN $start AND $end
GROUP BY s.street, s.sort_order
ORDER BY problems DESC, s.sort_order

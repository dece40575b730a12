-- Problems found and deduction per department in one period ($start..$end), every department listed.
SELECT d.department, count(p.problem_id) AS problems, coalesce(sum(p.deduction), 0) AS deduction
FROM departments d
LEFT JOIN problems p ON p.department = d.department AND p.found_on BETWEEN $start AND $end
GROUP BY d.department, d.sort_order
ORDER BY problems DESC, d.sort_order

-- Problems found and deduction per department in one period ($start..$end), every department listed. A problem
-- counts for its units by their shares (problem_units, the office's attribution rule; the shares of a problem add
-- up to 1, so the counts are fractional when problems are shared). A problem with one responsible unit and no lead
-- unit is wholly that unit's under every rule: only the others are looked up in problem_units.
WITH found AS (
    SELECT problem_id, lead_department, responsible_units, deduction
    FROM problems
    WHERE found_on BETWEEN $start AND $end
), attributed AS (
    SELECT responsible_units[1] AS department, CAST(1 AS DOUBLE) AS share, deduction
    FROM found
    WHERE lead_department IS NULL AND len(responsible_units) <= 1
    UNION ALL
    SELECT u.department, u.share, f.deduction
    FROM found f JOIN problem_units u USING (problem_id)
    WHERE (f.lead_department IS NOT NULL OR len(f.responsible_units) > 1) AND u.share > 0
)
SELECT d.department, coalesce(sum(a.share), 0) AS problems, coalesce(sum(a.share * a.deduction), 0) AS deduction
FROM departments d
LEFT JOIN attributed a ON a.department = d.department
GROUP BY d.department, d.sort_order
ORDER BY problems DESC, d.sort_order

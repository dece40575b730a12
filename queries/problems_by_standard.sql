-- Ledger problems found and deduction per standard in one period ($start..$end) with the global filters.
-- $department: the problems the unit has a share in (problem_units). A problem with one responsible unit and no
-- lead unit is wholly that unit's under every attribution rule, so only the others are looked up in
-- problem_units, once (extra: empty without a department filter).
WITH extra AS MATERIALIZED (
    SELECT standard_code, deduction
    FROM problems
    WHERE $department IS NOT NULL AND (lead_department IS NOT NULL OR len(responsible_units) > 1)
      AND problem_id IN (SELECT problem_id FROM problem_units WHERE department = $department AND share > 0)
      AND found_on BETWEEN $start AND $end AND standard_code IS NOT NULL
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), matched AS (
    SELECT standard_code, deduction
    FROM problems
    WHERE found_on BETWEEN $start AND $end AND standard_code IS NOT NULL
      AND ($street IS NULL OR street = $street)
      AND ($department IS NULL OR lead_department IS NULL AND responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM extra
)
SELECT standard_code, count(*) AS problems, sum(deduction) AS deduction
FROM matched
GROUP BY standard_code

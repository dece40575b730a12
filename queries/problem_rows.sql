-- Ledger rows found in one period ($start..$end) with the global filters and optionally one standard
-- ($standard_code), newest first, at most 500 rows (total_rows = how many matched).
-- $department: the problems the unit has a share in (problem_units). A problem with one responsible unit and no
-- lead unit is wholly that unit's under every attribution rule, so only the others are looked up in
-- problem_units, once (extra: empty without a department filter).
WITH extra AS MATERIALIZED (
    SELECT problem_id, found_on, street, department, site, site_type, category, standard_code, description,
           deduction, card, deadline, status, closed_on
    FROM problems
    WHERE $department IS NOT NULL AND (lead_department IS NOT NULL OR len(responsible_units) > 1)
      AND problem_id IN (SELECT problem_id FROM problem_units WHERE department = $department AND share > 0)
      AND found_on BETWEEN $start AND $end
      AND ($standard_code IS NULL OR standard_code = $standard_code)
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), matched AS (
    SELECT problem_id, found_on, street, department, site, site_type, category, standard_code, description,
           deduction, card, deadline, status, closed_on
    FROM problems
    WHERE found_on BETWEEN $start AND $end
      AND ($standard_code IS NULL OR standard_code = $standard_code)
      AND ($street IS NULL OR street = $street)
      AND ($department IS NULL OR lead_department IS NULL AND responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM extra
)
SELECT *, count(*) OVER () AS total_rows
FROM matched
ORDER BY found_on DESC, problem_id DESC
LIMIT 500

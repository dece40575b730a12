-- Problems found and deduction per street × category in one period ($start..$end) with the department,
-- site-type and category filters (the 短板 heat map).
-- $department: the problems the unit has a share in (problem_units). A problem with one responsible unit and no
-- lead unit is wholly that unit's under every attribution rule, so only the others are looked up in
-- problem_units, once (extra: empty without a department filter).
WITH extra AS MATERIALIZED (
    SELECT street, category, deduction
    FROM problems
    WHERE $department IS NOT NULL AND (lead_department IS NOT NULL OR len(responsible_units) > 1)
      AND problem_id IN (SELECT problem_id FROM problem_units WHERE department = $department AND share > 0)
      AND found_on BETWEEN $start AND $end
      AND street IS NOT NULL AND category IS NOT NULL
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), matched AS (
    SELECT street, category, deduction
    FROM problems
    WHERE found_on BETWEEN $start AND $end
      AND street IS NOT NULL AND category IS NOT NULL
      AND ($street IS NULL OR street = $street)
      AND ($department IS NULL OR lead_department IS NULL AND responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM extra
)
SELECT street, category, count(*) AS problems, sum(deduction) AS deduction
FROM matched
GROUP BY street, category

-- Problems overdue at the end of the period ($end: past their deadline and not closed by then) with the
-- global filters, most days overdue first, at most 500 rows (total_rows = how many are overdue).
-- The 500 are picked on the narrow date columns first and only they are read in full: at 1e7 problems the
-- overdue set is ~1e5 rows, and carrying their descriptions through the sort cost five times as much.
-- Closed by $end: closed_by <= $end (the closing date, or for a closure whose export gave no date the date of
-- the export that first reported it closed); a closed problem without either counts as closed. The closed_on
-- test before it is implied by it and decides most rows cheaply.
-- $department: the problems the unit has a share in (problem_units). A problem with one responsible unit and no
-- lead unit is wholly that unit's under every attribution rule, so only the others are looked up in
-- problem_units, once (extra: empty without a department filter).
WITH extra AS MATERIALIZED (
    SELECT problem_id, found_on, deadline
    FROM problems
    WHERE $department IS NOT NULL AND (lead_department IS NOT NULL OR len(responsible_units) > 1)
      AND problem_id IN (SELECT problem_id FROM problem_units WHERE department = $department AND share > 0)
      AND found_on <= $end AND deadline < $end AND (closed_on IS NULL OR closed_on > $end)
      AND NOT coalesce(closed_by <= $end, is_closed)
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), overdue AS (
    SELECT problem_id, found_on, deadline
    FROM problems
    WHERE found_on <= $end AND deadline < $end AND (closed_on IS NULL OR closed_on > $end)
      AND NOT coalesce(closed_by <= $end, is_closed)
      AND ($street IS NULL OR street = $street)
      AND ($department IS NULL OR lead_department IS NULL AND responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM extra
), shown AS (
    SELECT problem_id FROM overdue ORDER BY deadline, found_on, problem_id LIMIT 500
)
SELECT problem_id, found_on, street, department, site, category, description, card, deadline, status,
       CAST($end AS DATE) - deadline AS days_overdue,
       (SELECT count(*) FROM overdue) AS total_rows
FROM problems
WHERE problem_id IN (SELECT problem_id FROM shown)
  AND found_on <= $end AND deadline < $end AND (closed_on IS NULL OR closed_on > $end)
  AND NOT coalesce(closed_by <= $end, is_closed)
ORDER BY days_overdue DESC, found_on, problem_id
LIMIT 500

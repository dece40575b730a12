-- Problems overdue at the end of the period ($end: past their deadline and not closed by then) with the
-- global filters, most days overdue first, at most 500 rows (total_rows = how many are overdue).
-- The 500 are picked on the narrow date columns first and only they are read in full: at 1e7 problems the
-- overdue set is ~1e5 rows, and carrying their descriptions through the sort cost five times as much.
WITH overdue AS (
    SELECT problem_id, found_on, deadline
    FROM problems
    WHERE found_on <= $end AND deadline < $end AND (closed_on IS NULL OR closed_on > $end)
      AND ($street IS NULL OR street = $street)
      AND ($department IS NULL OR department = $department)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), shown AS (
    SELECT problem_id FROM overdue ORDER BY deadline, found_on, problem_id LIMIT 500
)
SELECT problem_id, found_on, street, department, site, category, description, card, deadline, status,
       CAST($end AS DATE) - deadline AS days_overdue,
       (SELECT count(*) FROM overdue) AS total_rows
FROM problems
WHERE problem_id IN (SELECT problem_id FROM shown)
  AND found_on <= $end AND deadline < $end AND (closed_on IS NULL OR closed_on > $end)
ORDER BY days_overdue DESC, found_on, problem_id
LIMIT 500

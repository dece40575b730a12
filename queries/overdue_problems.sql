-- Problems overdue at the end of the period ($end: past their deadline and not closed by then) with the
-- global filters, most days overdue first, at most 500 rows (total_rows = how many are overdue).
SELECT problem_id, found_on, street, department, site, category, description, card, deadline, status,
       CAST($end AS DATE) - deadline AS days_overdue,
       count(*) OVER () AS total_rows
FROM problems
WHERE found_on <= $end AND deadline < $end AND (closed_on IS NULL OR closed_on > $end)
  AND ($street IS NULL OR street = $street)
  AND ($department IS NULL OR department = $department)
  AND ($site_type IS NULL OR site_type = $site_type)
  AND ($category IS NULL OR category = $category)
ORDER BY days_overdue DESC, found_on, problem_id
LIMIT 500

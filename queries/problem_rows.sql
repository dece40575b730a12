-- Ledger rows found in one period ($start..$end) with the global filters and optionally one standard
-- ($standard_code), newest first, at most 500 rows (total_rows = how many matched).
SELECT problem_id, found_on, street, department, site, site_type, category, standard_code, description,
       deduction, card, deadline, status, closed_on,
       count(*) OVER () AS total_rows
FROM problems
WHERE found_on BETWEEN $start AND $end
  AND ($standard_code IS NULL OR standard_code = $standard_code)
  AND ($street IS NULL OR street = $street)
  AND ($department IS NULL OR department = $department)
  AND ($site_type IS NULL OR site_type = $site_type)
  AND ($category IS NULL OR category = $category)
ORDER BY found_on DESC, problem_id DESC
LIMIT 500

-- Ledger problems found and deduction per standard in one period ($start..$end) with the global filters.
SELECT standard_code, count(*) AS problems, sum(deduction) AS deduction
FROM problems
WHERE found_on BETWEEN $start AND $end AND standard_code IS NOT NULL
  AND ($street IS NULL OR street = $street)
  AND ($department IS NULL OR department = $department)
  AND ($site_type IS NULL OR site_type = $site_type)
  AND ($category IS NULL OR category = $category)
GROUP BY standard_code

-- Problems found and deduction per street × category in one period ($start..$end) with the department,
-- site-type and category filters (the 短板 heat map).
SELECT street, category, count(*) AS problems, sum(deduction) AS deduction
FROM problems
WHERE found_on BETWEEN $start AND $end
  AND street IS NOT NULL AND category IS NOT NULL
  AND ($street IS NULL OR street = $street)
  AND ($department IS NULL OR department = $department)
  AND ($site_type IS NULL OR site_type = $site_type)
  AND ($category IS NULL OR category = $category)
GROUP BY street, category

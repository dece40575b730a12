-- Problems overdue at the end of the period ($end: past their deadline and not closed by then) per responsible
-- department, with the global filters: how many, by supervision card (红/黄/白), how many more than 30 days
-- overdue, and the longest days overdue; most overdue first. Sums to overdue_problems' total_rows.
SELECT coalesce(department, '（未注明）') AS department,
       count(*) AS overdue,
       count(*) FILTER (WHERE card = '红') AS red,
       count(*) FILTER (WHERE card = '黄') AS yellow,
       count(*) FILTER (WHERE card = '白') AS white,
       count(*) FILTER (WHERE CAST($end AS DATE) - deadline > 30) AS over_30,
       max(CAST($end AS DATE) - deadline) AS max_days
FROM problems
WHERE found_on <= $end AND deadline < $end AND (closed_on IS NULL OR closed_on > $end)
  AND ($street IS NULL OR street = $street)
  AND ($department IS NULL OR department = $department)
  AND ($site_type IS NULL OR site_type = $site_type)
  AND ($category IS NULL OR category = $category)
GROUP BY 1
ORDER BY overdue DESC, red DESC, department

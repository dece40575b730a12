-- Recurring problems (反弹): per site × category, the problems found in the period ($start..$end) that came
-- back within $rebound_days days after a closure of the same site and category, with the global filters;
-- most rebounds first, at most 500 rows (total_rows = how many site × category pairs had a rebound).
WITH filtered AS (
    SELECT site_id, site, street, department, category, found_on
    FROM problems
    WHERE found_on BETWEEN $start AND $end AND site_id IS NOT NULL
      AND ($street IS NULL OR street = $street)
      AND ($department IS NULL OR department = $department)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), rebounds AS (
    SELECT c.*
    FROM filtered c
    WHERE EXISTS (SELECT 1 FROM problems r
                  WHERE r.site_id = c.site_id AND r.category = c.category AND r.closed_on < c.found_on
                    AND r.closed_on >= c.found_on - CAST(coalesce($rebound_days, 30) AS INTEGER)
                    AND r.closed_on >= CAST($start AS DATE) - CAST(coalesce($rebound_days, 30) AS INTEGER))
)
SELECT site_id, any_value(site) AS site, any_value(street) AS street, category,
       mode(department) AS department, count(*) AS rebounds, max(found_on) AS last_found,
       count(*) OVER () AS total_rows
FROM rebounds
GROUP BY site_id, category
ORDER BY rebounds DESC, last_found DESC, site_id, category
LIMIT 500

-- Recurring problems (反弹): per site × category, the problems found in the period ($start..$end) that came
-- back within $rebound_days days after a closure of the same site and category, with the global filters;
-- most rebounds first, at most 500 rows (total_rows = how many site × category pairs had a rebound).
-- A rebound needs the earlier problem's closing date (a closure without a known date is no rebound's start).
-- $department: the problems the unit has a share in (problem_units). A problem with one responsible unit and no
-- lead unit is wholly that unit's under every attribution rule, so only the others are looked up in
-- problem_units, once (extra: empty without a department filter).
WITH extra AS MATERIALIZED (
    SELECT site_id, site, street, department, category, found_on
    FROM problems
    WHERE $department IS NOT NULL AND (lead_department IS NOT NULL OR len(responsible_units) > 1)
      AND problem_id IN (SELECT problem_id FROM problem_units WHERE department = $department AND share > 0)
      AND found_on BETWEEN $start AND $end AND site_id IS NOT NULL
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), filtered AS (
    SELECT site_id, site, street, department, category, found_on
    FROM problems
    WHERE found_on BETWEEN $start AND $end AND site_id IS NOT NULL
      AND ($street IS NULL OR street = $street)
      AND ($department IS NULL OR lead_department IS NULL AND responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM extra
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

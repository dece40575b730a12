-- One period's inspection indicators ($start..$end, inclusive) with optional filters:
-- sites visited, inspections, problems found, deduction, problems closed in the period,
-- open and overdue (past deadline, not closed) at the end of the period.
WITH f AS (
    SELECT * FROM problems
    WHERE ($street IS NULL OR street = $street)
      AND ($department IS NULL OR department = $department)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), visits AS (
    SELECT count(DISTINCT site_id) AS sites_visited, count(*) AS inspections
    FROM inspections
    WHERE inspected_on BETWEEN $start AND $end
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
)
SELECT
    v.sites_visited,
    v.inspections,
    count(*) FILTER (WHERE found_on BETWEEN $start AND $end) AS problems_found,
    coalesce(sum(deduction) FILTER (WHERE found_on BETWEEN $start AND $end), 0) AS deduction,
    count(*) FILTER (WHERE closed_on BETWEEN $start AND $end) AS closed,
    count(*) FILTER (WHERE found_on <= $end AND (closed_on IS NULL OR closed_on > $end)) AS open_at_end,
    count(*) FILTER (WHERE found_on <= $end AND (closed_on IS NULL OR closed_on > $end)
                     AND deadline < $end) AS overdue_at_end
FROM f, visits v
GROUP BY v.sites_visited, v.inspections

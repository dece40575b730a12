-- One period's inspection indicators ($start..$end, inclusive) with optional filters:
-- sites visited, inspections, problems found, deduction, problems closed in the period,
-- open and overdue (past deadline, not closed) at the end of the period. Closed in the period: a known closing
-- date in it; not closed by the end: NOT closed_by <= $end (closed_by bounds an unknown closing date; a closed
-- problem without it counts as closed). The closed_on test before it is implied by it and decides most rows
-- cheaply.
-- $department: the problems the unit has a share in (problem_units). A problem with one responsible unit and no
-- lead unit is wholly that unit's under every attribution rule, so only the others are looked up in
-- problem_units, once (extra: empty without a department filter).
WITH extra AS MATERIALIZED (
    SELECT found_on, deadline, closed_on, closed_by, is_closed, deduction FROM problems
    WHERE $department IS NOT NULL AND (lead_department IS NOT NULL OR len(responsible_units) > 1)
      AND problem_id IN (SELECT problem_id FROM problem_units WHERE department = $department AND share > 0)
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), f AS (
    SELECT found_on, deadline, closed_on, closed_by, is_closed, deduction FROM problems
    WHERE ($street IS NULL OR street = $street)
      AND ($department IS NULL OR lead_department IS NULL AND responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM extra
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
    count(*) FILTER (WHERE found_on <= $end AND (closed_on IS NULL OR closed_on > $end)
                     AND NOT coalesce(closed_by <= $end, is_closed)) AS open_at_end,
    count(*) FILTER (WHERE found_on <= $end AND (closed_on IS NULL OR closed_on > $end)
                     AND NOT coalesce(closed_by <= $end, is_closed) AND deadline < $end) AS overdue_at_end
FROM f, visits v
GROUP BY v.sites_visited, v.inspections

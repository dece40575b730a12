-- One period's inspection and rectification indicators ($start..$end, inclusive) with the global filters:
-- site visits, problems found, problems per 100 site visits, deduction, problems closed in the period,
-- open and overdue (past deadline, not closed) at the end of the period, the on-time closure rate (problems
-- whose deadline fell in the period that were closed by it), median days to close a yellow/red-card problem
-- closed in the period, and rebounds (反弹: problems found in the period at a site where a problem of the same
-- category had been closed within $rebound_days days before).
-- Closing dates: closed in the period, days to close and rebounds need a known closing date (a closure whose
-- export gave none is in no period); open at the end = not closed by then (closed_by <= $end: the date, or for
-- an unknown date the export that first reported it closed; a closed problem without either counts as closed).
-- (The closed_on test before closed_by is implied by it and decides most rows cheaply.)
-- due and due_on_time (the on-time rate) count problems with a known closing date or still open; due_unknown
-- is how many due problems were closed on an unknown date (left out of the rate).
-- $department: the problems the unit has a share in (problem_units). A problem with one responsible unit and no
-- lead unit is wholly that unit's under every attribution rule, so only the others are looked up in
-- problem_units, once (extra: empty without a department filter).
WITH extra AS MATERIALIZED (
    SELECT problem_id, site_id, category, found_on, deadline, closed_on, closed_on_known, closed_by, is_closed,
           deduction, card
    FROM problems
    WHERE $department IS NOT NULL AND (lead_department IS NOT NULL OR len(responsible_units) > 1)
      AND problem_id IN (SELECT problem_id FROM problem_units WHERE department = $department AND share > 0)
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), filtered AS NOT MATERIALIZED (
    SELECT problem_id, site_id, category, found_on, deadline, closed_on, closed_on_known, closed_by, is_closed,
           deduction, card
    FROM problems
    WHERE ($street IS NULL OR street = $street)
      AND ($department IS NULL OR lead_department IS NULL AND responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM extra
), visits AS (
    SELECT count(*) AS inspections
    FROM inspections
    WHERE inspected_on BETWEEN $start AND $end
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
), found AS (
    SELECT count(*) AS problems, coalesce(sum(deduction), 0) AS deduction
    FROM filtered WHERE found_on BETWEEN $start AND $end
), closing AS (
    SELECT count(*) AS closed, median(closed_on - found_on) FILTER (WHERE card <> '白') AS median_days
    FROM filtered WHERE closed_on BETWEEN $start AND $end
), due AS (
    SELECT count(*) FILTER (WHERE closed_on_known IS NOT FALSE) AS due,
           count(*) FILTER (WHERE closed_on <= deadline) AS due_on_time,
           count(*) FILTER (WHERE closed_on_known IS FALSE) AS due_unknown
    FROM filtered WHERE deadline BETWEEN $start AND $end
), backlog AS (
    SELECT count(*) AS open_at_end, count(*) FILTER (WHERE deadline < $end) AS overdue_at_end
    FROM filtered WHERE found_on <= $end AND (closed_on IS NULL OR closed_on > $end)
                    AND NOT coalesce(closed_by <= $end, is_closed)
), rebound AS (
    -- a closure of the same site and category in the $rebound_days days before (whichever department owned it)
    SELECT count(*) AS rebounds
    FROM filtered c
    WHERE c.found_on BETWEEN $start AND $end AND c.site_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM problems r
                  WHERE r.site_id = c.site_id AND r.category = c.category AND r.closed_on < c.found_on
                    AND r.closed_on >= c.found_on - CAST(coalesce($rebound_days, 30) AS INTEGER)
                    AND r.closed_on >= CAST($start AS DATE) - CAST(coalesce($rebound_days, 30) AS INTEGER))
)
SELECT v.inspections, f.problems, 100.0 * f.problems / nullif(v.inspections, 0) AS per_100_sites,
       f.deduction, c.closed, b.open_at_end, b.overdue_at_end, d.due, d.due_on_time,
       d.due_on_time / nullif(d.due, 0) AS on_time_rate, c.median_days,
       r.rebounds, r.rebounds / nullif(f.problems, 0) AS rebound_rate, d.due_unknown
FROM visits v, found f, closing c, due d, backlog b, rebound r

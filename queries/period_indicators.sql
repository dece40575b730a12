-- One period's inspection and rectification indicators ($start..$end, inclusive) with the global filters:
-- site visits, problems found, problems per 100 site visits, deduction, problems closed in the period,
-- open and overdue (past deadline, not closed) at the end of the period, the on-time closure rate (problems
-- whose deadline fell in the period that were closed by it), median days to close a yellow/red-card problem
-- closed in the period, and rebounds (反弹: problems found in the period at a site where a problem of the same
-- category had been closed within $rebound_days days before).
WITH filtered AS NOT MATERIALIZED (
    SELECT problem_id, site_id, category, found_on, deadline, closed_on, deduction, card
    FROM problems
    WHERE ($street IS NULL OR street = $street)
      AND ($department IS NULL OR department = $department)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
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
    SELECT count(*) AS due, count(*) FILTER (WHERE closed_on <= deadline) AS due_on_time
    FROM filtered WHERE deadline BETWEEN $start AND $end
), backlog AS (
    SELECT count(*) AS open_at_end, count(*) FILTER (WHERE deadline < $end) AS overdue_at_end
    FROM filtered WHERE found_on <= $end AND (closed_on IS NULL OR closed_on > $end)
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
       r.rebounds, r.rebounds / nullif(f.problems, 0) AS rebound_rate
FROM visits v, found f, closing c, due d, backlog b, rebound r

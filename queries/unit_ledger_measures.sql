-- Ledger measures per street ($unit = 'street') or per department ($unit = 'department') for the period
-- $start..$end (k = 0) and the $periods - 1 periods of the same length before it (k = 1, 2, …), with the
-- global filters: site visits (streets only), problems found, deduction, problems closed, open and overdue at
-- the period's end, problems due and closed by their deadline, median days to close a yellow/red-card problem,
-- and rebounds (反弹, same site and category within $rebound_days days after a closure). Every unit, every k.
-- The window's first day, $start - ($periods - 1) × length, is written out as a constant in each scan (rather
-- than joined from a CTE) so that DuckDB skips the row groups outside the window.
WITH periods AS (
    SELECT CAST(k AS INTEGER) AS k,
           CAST($end AS DATE) - CAST(k * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER) AS e
    FROM range(0, coalesce($periods, 1)) t(k)
), units AS (
    SELECT street AS unit, sort_order FROM streets WHERE coalesce($unit, 'street') = 'street'
    UNION ALL
    SELECT department, sort_order FROM departments WHERE $unit = 'department'
), filtered AS NOT MATERIALIZED (
    SELECT CASE WHEN $unit = 'department' THEN department ELSE street END AS unit,
           site_id, category, found_on, deadline, closed_on, deduction, card
    FROM problems
    WHERE ($street IS NULL OR street = $street)
      AND ($department IS NULL OR department = $department)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), found AS (
    SELECT unit, (CAST($end AS DATE) - found_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           count(*) AS problems, sum(deduction) AS deduction
    FROM filtered
    WHERE found_on <= $end AND found_on >= CAST($start AS DATE)
          - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)
    GROUP BY ALL
), closing AS (
    SELECT unit, (CAST($end AS DATE) - closed_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           count(*) AS closed, median(closed_on - found_on) FILTER (WHERE card <> '白') AS median_days
    FROM filtered
    WHERE closed_on <= $end AND closed_on >= CAST($start AS DATE)
          - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)
    GROUP BY ALL
), due AS (
    SELECT unit, (CAST($end AS DATE) - deadline) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           count(*) AS due, count(*) FILTER (WHERE closed_on <= deadline) AS due_on_time
    FROM filtered
    WHERE deadline <= $end AND deadline >= CAST($start AS DATE)
          - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)
    GROUP BY ALL
), backlog AS (
    -- open at the end of period k: found by then and not closed by then
    SELECT b.unit, pe.k, count(*) AS open_at_end, count(*) FILTER (WHERE b.deadline < pe.e) AS overdue_at_end
    FROM (SELECT unit, found_on, deadline, closed_on FROM filtered
          WHERE found_on <= $end AND (closed_on IS NULL OR closed_on >= CAST($start AS DATE)
                - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER))) b
    JOIN periods pe ON b.found_on <= pe.e AND (b.closed_on IS NULL OR b.closed_on > pe.e)
    GROUP BY ALL
), visits AS (
    SELECT street AS unit, (CAST($end AS DATE) - inspected_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           count(*) AS inspections
    FROM inspections
    WHERE coalesce($unit, 'street') = 'street'
      AND inspected_on <= $end AND inspected_on >= CAST($start AS DATE)
          - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
    GROUP BY ALL
), rebound AS (
    SELECT c.unit, (CAST($end AS DATE) - c.found_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           count(*) AS rebounds
    FROM (SELECT unit, site_id, category, found_on FROM filtered
          WHERE found_on <= $end AND site_id IS NOT NULL AND found_on >= CAST($start AS DATE)
                - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)) c
    SEMI JOIN (SELECT site_id, category, closed_on FROM problems
               WHERE closed_on < $end AND closed_on >= CAST($start AS DATE)
                     - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1)
                            + coalesce($rebound_days, 30) AS INTEGER)) r
      ON r.site_id = c.site_id AND r.category = c.category AND r.closed_on < c.found_on
     AND r.closed_on >= c.found_on - CAST(coalesce($rebound_days, 30) AS INTEGER)
    GROUP BY ALL
)
SELECT u.unit, pe.k,
       pe.e - CAST((CAST($end AS DATE) - CAST($start AS DATE)) AS INTEGER) AS period_start, pe.e AS period_end,
       v.inspections,
       coalesce(f.problems, 0) AS problems,
       coalesce(f.deduction, 0) AS deduction,
       coalesce(c.closed, 0) AS closed,
       coalesce(b.open_at_end, 0) AS open_at_end,
       coalesce(b.overdue_at_end, 0) AS overdue_at_end,
       coalesce(d.due, 0) AS due,
       coalesce(d.due_on_time, 0) AS due_on_time,
       c.median_days,
       coalesce(r.rebounds, 0) AS rebounds
FROM units u CROSS JOIN periods pe
LEFT JOIN found f ON f.unit = u.unit AND f.k = pe.k
LEFT JOIN closing c ON c.unit = u.unit AND c.k = pe.k
LEFT JOIN due d ON d.unit = u.unit AND d.k = pe.k
LEFT JOIN backlog b ON b.unit = u.unit AND b.k = pe.k
LEFT JOIN visits v ON v.unit = u.unit AND v.k = pe.k
LEFT JOIN rebound r ON r.unit = u.unit AND r.k = pe.k
ORDER BY pe.k, u.sort_order, u.unit

-- Ledger measures per street ($unit = 'street'), per department ($unit = 'department'), per 包保单位 (the unit
-- responsible for the problem's site, sites.department: $unit = 'site_unit') or per community (the ledger's
-- 所属社区: $unit = 'community') for the period
-- $start..$end (k = 0) and the $periods - 1 periods of the same length before it (k = 1, 2, …), with the
-- global filters: site visits and visits that found nothing (streets and 包保单位), problems found, problems
-- found in the period and fixed by its end (fixed), deduction, problems closed, open and overdue at
-- the period's end, problems due and closed by their deadline, median days to close a yellow/red-card problem,
-- and rebounds (反弹, same site and category within $rebound_days days after a closure). Every unit, every k.
-- Closing dates: closed in a period = a known closing date in it (a closure whose export gave no date is in no
-- period); open at a period's end = not closed by then (closed_by: the date, or for an unknown date the export
-- that first reported it closed); due and due_on_time count problems with a known closing date only (or still
-- open), due_unknown the due problems closed on an unknown date (left out of the on-time rate).
-- A street, a 包保单位 and a community count their problems whole. A department counts its share of each problem (problem_units: the office's
-- attribution rule, shares of a problem add up to 1), so the counts are fractional when problems are shared and
-- every problem is counted once in all; the median counts the problems it has a share in. $department keeps the
-- problems the unit has a share in. A problem with one responsible unit and no lead unit is wholly that unit's
-- under every rule: only the others are looked up in problem_units (split, read once).
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
    UNION ALL
    SELECT DISTINCT department, NULL FROM sites WHERE $unit = 'site_unit' AND department IS NOT NULL
    UNION ALL
    SELECT DISTINCT community, NULL FROM problems WHERE $unit = 'community' AND nullif(trim(community), '') IS NOT NULL
), site_units AS (
    SELECT site_id, department AS site_unit FROM sites WHERE $unit = 'site_unit'
), split AS MATERIALIZED (
    -- problems with a lead unit or several responsible units, when counted per department or narrowed to one:
    -- a row per unit with a share (per department), or one row per problem the unit has a share in (per street)
    SELECT CASE WHEN $unit = 'department' THEN u.department WHEN $unit = 'community' THEN nullif(trim(p.community), '')
                WHEN $unit = 'site_unit' THEN su.site_unit ELSE p.street END AS unit,
           CASE WHEN $unit = 'department' THEN u.share ELSE 1.0 END AS share,
           p.site_id, p.category, p.found_on, p.deadline, p.closed_on, p.closed_on_known, p.closed_by, p.is_closed,
           p.deduction, p.card
    FROM problems p JOIN problem_units u USING (problem_id) LEFT JOIN site_units su ON su.site_id = p.site_id
    WHERE ($unit = 'department' OR $department IS NOT NULL)
      AND (p.lead_department IS NOT NULL OR len(p.responsible_units) > 1) AND u.share > 0
      AND ($street IS NULL OR p.street = $street)
      AND ($site_type IS NULL OR p.site_type = $site_type)
      AND ($category IS NULL OR p.category = $category)
    QUALIFY ($department IS NULL OR bool_or(u.department = $department) OVER (PARTITION BY p.problem_id))
        AND ($unit = 'department' OR row_number() OVER (PARTITION BY p.problem_id ORDER BY u.department) = 1)
), filtered AS NOT MATERIALIZED (
    -- one row per problem and unit it counts for, with the unit's share of it
    SELECT CASE WHEN $unit = 'department' THEN responsible_units[1] WHEN $unit = 'community' THEN nullif(trim(community), '')
                WHEN $unit = 'site_unit' THEN su.site_unit ELSE street END AS unit,
           CAST(1 AS DOUBLE) AS share,
           problems.site_id, category, found_on, deadline, closed_on, closed_on_known, closed_by, is_closed, deduction,
           card
    FROM problems LEFT JOIN site_units su ON su.site_id = problems.site_id
    WHERE (lead_department IS NULL AND len(responsible_units) <= 1
           OR coalesce($unit, 'street') <> 'department' AND $department IS NULL)
      AND ($street IS NULL OR street = $street)
      AND ($department IS NULL OR responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM split
), found AS (
    SELECT unit, (CAST($end AS DATE) - found_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           sum(share) AS problems, sum(share * deduction) AS deduction,
           -- fixed by the end of the period it was found in (a closure without a date: by its first report)
           sum(share) FILTER (WHERE coalesce(closed_by <= CAST($end AS DATE) - CAST(
               ((CAST($end AS DATE) - found_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1))
               * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER), is_closed)) AS fixed
    FROM filtered
    WHERE found_on <= $end AND found_on >= CAST($start AS DATE)
          - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)
    GROUP BY ALL
), closing AS (
    SELECT unit, (CAST($end AS DATE) - closed_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           sum(share) AS closed, median(closed_on - found_on) FILTER (WHERE card <> '白') AS median_days
    FROM filtered
    WHERE closed_on <= $end AND closed_on >= CAST($start AS DATE)
          - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)
    GROUP BY ALL
), due AS (
    SELECT unit, (CAST($end AS DATE) - deadline) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           sum(share) FILTER (WHERE closed_on_known IS NOT FALSE) AS due,
           sum(share) FILTER (WHERE closed_on <= deadline) AS due_on_time,
           sum(share) FILTER (WHERE closed_on_known IS FALSE) AS due_unknown
    FROM filtered
    WHERE deadline <= $end AND deadline >= CAST($start AS DATE)
          - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)
    GROUP BY ALL
), backlog AS (
    -- open at the end of period k: found by then and not closed by then (a closed problem without closed_by:
    -- closed at every period's end)
    SELECT b.unit, pe.k, sum(b.share) AS open_at_end, sum(b.share) FILTER (WHERE b.deadline < pe.e) AS overdue_at_end
    FROM (SELECT unit, share, found_on, deadline, closed_by, is_closed FROM filtered
          WHERE found_on <= $end AND (closed_on IS NULL OR closed_on >= CAST($start AS DATE)
                - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER))
            AND coalesce(closed_by >= CAST($start AS DATE)
                - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER),
                NOT is_closed)) b
    JOIN periods pe ON b.found_on <= pe.e AND NOT coalesce(b.closed_by <= pe.e, b.is_closed)
    GROUP BY ALL
), visits AS (
    SELECT CASE WHEN $unit = 'site_unit' THEN su.site_unit ELSE street END AS unit,
           (CAST($end AS DATE) - inspected_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           count(*) AS inspections, count(*) FILTER (WHERE coalesce(problems_found, 0) = 0) AS passed_visits
    FROM inspections LEFT JOIN site_units su ON su.site_id = inspections.site_id
    WHERE coalesce($unit, 'street') IN ('street', 'site_unit')
      AND inspected_on <= $end AND inspected_on >= CAST($start AS DATE)
          - CAST((coalesce($periods, 1) - 1) * (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS INTEGER)
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
    GROUP BY 1, 2
    HAVING unit IS NOT NULL
), rebound AS (
    SELECT c.unit, (CAST($end AS DATE) - c.found_on) // (CAST($end AS DATE) - CAST($start AS DATE) + 1) AS k,
           sum(c.share) AS rebounds
    FROM (SELECT unit, share, site_id, category, found_on FROM filtered
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
       coalesce(f.fixed, 0) AS fixed,
       v.passed_visits,
       coalesce(f.deduction, 0) AS deduction,
       coalesce(c.closed, 0) AS closed,
       coalesce(b.open_at_end, 0) AS open_at_end,
       coalesce(b.overdue_at_end, 0) AS overdue_at_end,
       coalesce(d.due, 0) AS due,
       coalesce(d.due_on_time, 0) AS due_on_time,
       c.median_days,
       coalesce(r.rebounds, 0) AS rebounds,
       coalesce(d.due_unknown, 0) AS due_unknown
FROM units u CROSS JOIN periods pe
LEFT JOIN found f ON f.unit = u.unit AND f.k = pe.k
LEFT JOIN closing c ON c.unit = u.unit AND c.k = pe.k
LEFT JOIN due d ON d.unit = u.unit AND d.k = pe.k
LEFT JOIN backlog b ON b.unit = u.unit AND b.k = pe.k
LEFT JOIN visits v ON v.unit = u.unit AND v.k = pe.k
LEFT JOIN rebound r ON r.unit = u.unit AND r.k = pe.k
ORDER BY pe.k, u.sort_order, u.unit

-- Inspection indicators per campaign week, week 1 (starting $campaign_start) up to the week holding $end,
-- with the global filters: site visits (inspections), problems found, problems per 100 site visits, deduction,
-- and the on-time closure rate (problems whose deadline fell in the week, closed on or before the deadline).
-- The rate counts problems with a known closing date (or still open) only; due_unknown is how many of the
-- week's due problems were closed on an unknown date (left out of due and the rate).
-- $department: the problems the unit has a share in (problem_units). A problem with one responsible unit and no
-- lead unit is wholly that unit's under every attribution rule, so only the others are looked up in
-- problem_units, once (extra: empty without a department filter).
WITH weeks AS (
    SELECT CAST(w AS INTEGER) AS week,
           CAST($campaign_start AS DATE) + CAST(7 * (w - 1) AS INTEGER) AS week_start,
           CAST($campaign_start AS DATE) + CAST(7 * (w - 1) + 6 AS INTEGER) AS week_end
    FROM range(1, coalesce((CAST($end AS DATE) - CAST($campaign_start AS DATE)) // 7 + 1, 0) + 1) t(w)
), extra AS MATERIALIZED (
    SELECT found_on, deadline, closed_on, closed_on_known, deduction
    FROM problems
    WHERE $department IS NOT NULL AND (lead_department IS NOT NULL OR len(responsible_units) > 1)
      AND problem_id IN (SELECT problem_id FROM problem_units WHERE department = $department AND share > 0)
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), f AS NOT MATERIALIZED (
    SELECT found_on, deadline, closed_on, closed_on_known, deduction
    FROM problems
    WHERE ($street IS NULL OR street = $street)
      AND ($department IS NULL OR lead_department IS NULL AND responsible_units = [$department])
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
    UNION ALL
    SELECT * FROM extra
), found AS (
    SELECT (found_on - CAST($campaign_start AS DATE)) // 7 + 1 AS week, count(*) AS problems,
           sum(deduction) AS deduction
    FROM f WHERE found_on >= $campaign_start AND found_on <= $end GROUP BY 1
), due AS (
    SELECT (deadline - CAST($campaign_start AS DATE)) // 7 + 1 AS week,
           count(*) FILTER (WHERE closed_on_known IS NOT FALSE) AS due,
           count(*) FILTER (WHERE closed_on <= deadline) AS due_on_time,
           count(*) FILTER (WHERE closed_on_known IS FALSE) AS due_unknown
    FROM f WHERE deadline >= $campaign_start AND deadline <= $end GROUP BY 1
), visits AS (
    SELECT (inspected_on - CAST($campaign_start AS DATE)) // 7 + 1 AS week, count(*) AS inspections
    FROM inspections
    WHERE inspected_on >= $campaign_start AND inspected_on <= $end
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
    GROUP BY 1
)
SELECT w.week, w.week_start, w.week_end,
       coalesce(v.inspections, 0) AS inspections,
       coalesce(p.problems, 0) AS problems,
       coalesce(p.deduction, 0) AS deduction,
       100.0 * coalesce(p.problems, 0) / nullif(v.inspections, 0) AS per_100_sites,
       coalesce(d.due, 0) AS due,
       coalesce(d.due_on_time, 0) AS due_on_time,
       d.due_on_time / nullif(d.due, 0) AS on_time_rate,
       coalesce(d.due_unknown, 0) AS due_unknown
FROM weeks w
LEFT JOIN found p USING (week)
LEFT JOIN due d USING (week)
LEFT JOIN visits v USING (week)
ORDER BY w.week

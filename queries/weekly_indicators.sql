-- Inspection indicators per campaign week, week 1 (starting $campaign_start) up to the week holding $end,
-- with the global filters: site visits (inspections), problems found, problems per 100 site visits, deduction,
-- and the on-time closure rate (problems whose deadline fell in the week, closed on or before the deadline).
WITH weeks AS (
    SELECT CAST(w AS INTEGER) AS week,
           CAST($campaign_start AS DATE) + CAST(7 * (w - 1) AS INTEGER) AS week_start,
           CAST($campaign_start AS DATE) + CAST(7 * (w - 1) + 6 AS INTEGER) AS week_end
    FROM range(1, coalesce((CAST($end AS DATE) - CAST($campaign_start AS DATE)) // 7 + 1, 0) + 1) t(w)
), f AS NOT MATERIALIZED (
    SELECT found_on, deadline, closed_on, deduction
    FROM problems
    WHERE ($street IS NULL OR street = $street)
      AND ($department IS NULL OR department = $department)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), found AS (
    SELECT (found_on - CAST($campaign_start AS DATE)) // 7 + 1 AS week, count(*) AS problems,
           sum(deduction) AS deduction
    FROM f WHERE found_on >= $campaign_start AND found_on <= $end GROUP BY 1
), due AS (
    SELECT (deadline - CAST($campaign_start AS DATE)) // 7 + 1 AS week, count(*) AS due,
           count(*) FILTER (WHERE closed_on <= deadline) AS due_on_time
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
       d.due_on_time / nullif(d.due, 0) AS on_time_rate
FROM weeks w
LEFT JOIN found p USING (week)
LEFT JOIN due d USING (week)
LEFT JOIN visits v USING (week)
ORDER BY w.week

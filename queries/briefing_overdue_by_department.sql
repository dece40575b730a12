-- Problems overdue at the end of the period ($end: past their deadline and not closed by then) per responsible
-- department, with the global filters: how many, by supervision card (红/黄/白), how many more than 30 days
-- overdue, and the longest days overdue; most overdue first. Sums to overdue_problems' total_rows.
-- Closed by $end: closed_by <= $end (the closing date, or for a closure whose export gave no date the date of the
-- export that first reported it closed); a closed problem without either counts as closed. The closed_on
-- test before it is implied by it and decides most rows cheaply.
-- A problem counts for its units by their shares (problem_units, the office's attribution rule; the shares of a
-- problem add up to 1, so the counts are fractional when problems are shared); max_days is over the problems a
-- unit has a share in; a problem without any unit is （未注明）'s. $department keeps the problems the unit has a
-- share in. A problem with one responsible unit and no lead unit is wholly that unit's under every rule: only the
-- others are looked up in problem_units.
WITH overdue AS MATERIALIZED (
    SELECT problem_id, lead_department, responsible_units, card, CAST($end AS DATE) - deadline AS days
    FROM problems
    WHERE found_on <= $end AND deadline < $end AND (closed_on IS NULL OR closed_on > $end)
      AND NOT coalesce(closed_by <= $end, is_closed)
      AND ($street IS NULL OR street = $street)
      AND ($site_type IS NULL OR site_type = $site_type)
      AND ($category IS NULL OR category = $category)
), shared AS MATERIALIZED (
    SELECT o.problem_id, u.department, u.share, o.card, o.days
    FROM overdue o JOIN problem_units u USING (problem_id)
    WHERE (o.lead_department IS NOT NULL OR len(o.responsible_units) > 1) AND u.share > 0
), attributed AS (
    SELECT responsible_units[1] AS department, CAST(1 AS DOUBLE) AS share, card, days
    FROM overdue
    WHERE lead_department IS NULL AND len(responsible_units) <= 1
      AND ($department IS NULL OR responsible_units = [$department])
    UNION ALL
    SELECT department, share, card, days
    FROM shared
    WHERE $department IS NULL OR problem_id IN (SELECT problem_id FROM shared WHERE department = $department)
    UNION ALL
    -- several units listed but none with a share (no unit named): the problem is still overdue
    SELECT NULL, 1.0, card, days
    FROM overdue o
    WHERE (lead_department IS NOT NULL OR len(responsible_units) > 1) AND $department IS NULL
      AND NOT EXISTS (SELECT 1 FROM shared s WHERE s.problem_id = o.problem_id)
)
SELECT coalesce(department, '（未注明）') AS department,
       sum(share) AS overdue,
       coalesce(sum(share) FILTER (WHERE card = '红'), 0) AS red,
       coalesce(sum(share) FILTER (WHERE card = '黄'), 0) AS yellow,
       coalesce(sum(share) FILTER (WHERE card = '白'), 0) AS white,
       coalesce(sum(share) FILTER (WHERE days > 30), 0) AS over_30,
       max(days) AS max_days
FROM attributed
GROUP BY 1
ORDER BY overdue DESC, red DESC, department

-- Inspections and problems per site in the $weeks weeks up to $as_of, weighted by age (a visit or a problem
-- $half_life_weeks weeks old counts half): how often each site has been found wanting lately.
WITH span AS (
    SELECT CAST($as_of AS DATE) AS end_on,
           CAST($as_of AS DATE) - CAST(7 * coalesce($weeks, 12) AS INTEGER) AS start_on,
           7.0 * coalesce($half_life_weeks, 16) AS half_days
), visits AS (
    SELECT i.site_id, sum(pow(0.5, date_diff('day', i.inspected_on, s.end_on) / s.half_days)) AS inspections
    FROM inspections i, span s
    WHERE i.site_id IS NOT NULL AND i.inspected_on > s.start_on AND i.inspected_on <= s.end_on
    GROUP BY i.site_id
), found AS (
    SELECT p.site_id, sum(pow(0.5, date_diff('day', p.found_on, s.end_on) / s.half_days)) AS problems
    FROM problems p, span s
    WHERE p.site_id IS NOT NULL AND p.found_on > s.start_on AND p.found_on <= s.end_on
    GROUP BY p.site_id
)
SELECT coalesce(v.site_id, f.site_id) AS site_id, coalesce(v.inspections, 0.0) AS inspections,
       coalesce(f.problems, 0.0) AS problems
FROM visits v FULL JOIN found f USING (site_id)
ORDER BY site_id

-- Earlier problems at the same site as $problem_id (its site_id, or its site name and street when it has no
-- site), newest first, at most 20; rebound = the same category and this problem found within $rebound_days days
-- after the earlier one was closed (the dashboard's rebound rule: a closing date is needed).
WITH me AS (SELECT * FROM problems WHERE problem_id = $problem_id)
SELECT e.problem_id, e.ledger_no, e.found_on, e.category, e.description, e.status, e.closed_on,
       e.category = me.category AND e.closed_on IS NOT NULL AND e.closed_on < me.found_on
           AND e.closed_on >= me.found_on - CAST(coalesce($rebound_days, 30) AS INTEGER) AS rebound
FROM problems e, me
WHERE e.problem_id <> me.problem_id AND e.found_on <= me.found_on
  AND (e.site_id = me.site_id OR me.site_id IS NULL AND e.site = me.site AND e.street IS NOT DISTINCT FROM me.street)
ORDER BY e.found_on DESC, e.problem_id
LIMIT 20

-- Open problems at the end of the period ($end), one row per problem × unit it names (lead or responsible, in
-- problem_units): what each unit's 交办单 lists. Open at $end: found by then and not closed by then (closed_by
-- <= $end; a closed problem without either date counts as closed). Optional filters: $department (one unit),
-- $street, $site_type, $category. days_overdue: calendar days past the deadline at $end (0 when not yet due).
SELECT u.department AS unit, u.role, u.share, p.problem_id, p.ledger_no, p.found_on, p.street, p.site, p.address,
       p.category, p.description, p.card, p.deadline, p.deadline_at, p.status, p.lead_department,
       p.responsible_units, p.photos_before, p.photos_after,
       greatest(CAST($end AS DATE) - p.deadline, 0) AS days_overdue,
       p.deadline < CAST($end AS DATE) AS overdue
FROM problems p
JOIN problem_units u USING (problem_id)
WHERE p.found_on <= $end
  AND (p.closed_on IS NULL OR p.closed_on > $end)
  AND NOT coalesce(p.closed_by <= $end, p.is_closed)
  AND ($department IS NULL OR u.department = $department)
  AND ($street IS NULL OR p.street = $street)
  AND ($site_type IS NULL OR p.site_type = $site_type)
  AND ($category IS NULL OR p.category = $category)
ORDER BY u.department, p.deadline, p.found_on, p.problem_id

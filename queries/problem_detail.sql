-- One problem ($problem_id) with every field of the problems view, the site's type and the days it has been
-- open (to its closing date, or to $today when still open; NULL when closed without a known date).
SELECT p.*,
       CASE WHEN NOT p.is_closed THEN CAST($today AS DATE) - p.found_on
            WHEN p.closed_on IS NOT NULL THEN p.closed_on - p.found_on END AS days_open,
       NOT p.is_closed AND p.deadline < CAST($today AS DATE) AS overdue_now
FROM problems p
WHERE p.problem_id = $problem_id

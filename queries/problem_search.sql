-- Problems matching what a user typed ($q): the ledger's own number or our problem number (exact first, then
-- as a prefix), else the site, address or description containing it; newest first, at most 50 rows
-- (total_rows = how many matched). A blank $q matches nothing.
WITH q AS (SELECT trim(coalesce($q, '')) AS q),
hits AS (
    SELECT p.problem_id, p.ledger_no, p.found_on, p.street, p.site, p.category, p.description, p.status, p.card,
           CASE WHEN p.ledger_no = q.q OR p.problem_id = q.q THEN 0
                WHEN starts_with(p.ledger_no, q.q) OR starts_with(p.problem_id, q.q) THEN 1 ELSE 2 END AS how
    FROM problems p, q
    WHERE length(q.q) >= 2
      AND (p.ledger_no = q.q OR p.problem_id = q.q OR starts_with(p.ledger_no, q.q) OR starts_with(p.problem_id, q.q)
           OR contains(p.site, q.q) OR contains(p.address, q.q) OR contains(p.description, q.q))
)
SELECT problem_id, ledger_no, found_on, street, site, category, description, status, card,
       count(*) OVER () AS total_rows
FROM hits
ORDER BY how, found_on DESC, problem_id
LIMIT 50

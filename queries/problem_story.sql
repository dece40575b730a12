-- One problem's versions across imports ($problem_id), oldest first: status, card, deadline, closing date and unit
-- as each import left them, with the import's file and time (import 0: demo or initial data).
SELECT h.import_id, h.imported_at, l.file_name, h.status, h.card, h.deadline, h.closed_on, h.department,
       h.deduction, h.is_current
FROM problem_history h
LEFT JOIN import_log l ON l.import_id = h.import_id
WHERE h.problem_id = $problem_id
ORDER BY h.is_current, coalesce(h.superseded_at, TIMESTAMP '9999-12-31'), h.import_id

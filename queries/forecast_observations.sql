-- Assessment observations of the rounds held before $before (every round when $before is NULL) with the round's
-- date: what the readiness forecast learns from (field rows per site × standard, online rows per standard).
SELECT s.round_id, r.held_on, s.standard_code, s.site_id, s.site_type, s.street, s.department, s.score, s.max_score
FROM assessment_scores s JOIN assessment_rounds r USING (round_id)
WHERE $before IS NULL OR r.held_on < $before
ORDER BY r.held_on, s.round_id, s.standard_code, s.site_id

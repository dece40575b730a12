-- Every assessment round, oldest first.
SELECT round_id, round_name, assessor, held_on, year
FROM assessment_rounds
ORDER BY held_on, round_id

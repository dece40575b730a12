-- Bonus points (加分) awarded per round, before the cap.
SELECT round_id, code, name, points
FROM bonus_awards
ORDER BY round_id, code

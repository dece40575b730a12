-- Street scores of one round ($round_id) as the assessor's report states them (街道排名) beside the dashboard's
-- own, computed from the report's detail rows (field standards: Σ score / Σ max score × 100, rank by it).
WITH ours AS (
    SELECT street, 100 * sum(score) / nullif(sum(max_score), 0) AS our_score, count(*) AS observations
    FROM assessment_scores
    WHERE round_id = $round_id AND street IS NOT NULL
    GROUP BY street
), theirs AS (
    SELECT street, score, max_score, pass_rate, rank FROM report_street_scores WHERE round_id = $round_id
)
SELECT coalesce(t.street, o.street) AS street,
       t.score AS report_score, t.max_score AS report_max, t.pass_rate AS report_pass_rate, t.rank AS report_rank,
       o.our_score, rank() OVER (ORDER BY o.our_score DESC NULLS LAST) AS our_rank, o.observations,
       100 * t.score / coalesce(nullif(t.max_score, 0), 100) AS report_percent,
       CASE WHEN t.score IS NOT NULL AND o.our_score IS NOT NULL
            THEN 100 * t.score / coalesce(nullif(t.max_score, 0), 100) - o.our_score END AS difference
FROM theirs t FULL JOIN ours o ON o.street = t.street
WHERE t.street IS NOT NULL OR EXISTS (SELECT 1 FROM theirs)
ORDER BY report_rank NULLS LAST, our_rank

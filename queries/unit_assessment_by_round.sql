-- Assessment score and max score per round × street ($unit = 'street': field observations, which have a
-- street) or per round × department ($unit = 'department': every observation), with the street, department
-- and site-type filters; a unit's achievement rate in a round is score / max_score.
SELECT round_id,
       CASE WHEN $unit = 'department' THEN department ELSE street END AS unit,
       sum(score) AS score, sum(max_score) AS max_score, count(*) AS observations
FROM assessment_scores
WHERE (CASE WHEN $unit = 'department' THEN department ELSE street END) IS NOT NULL
  AND ($street IS NULL OR street = $street)
  AND ($department IS NULL OR department = $department)
  AND ($site_type IS NULL OR site_type = $site_type)
GROUP BY ALL
ORDER BY round_id, unit

-- Every observation of one round ($round_id): field rows per site × standard, online rows per standard.
SELECT standard_code, site_id, site, site_type, street, department, score, max_score
FROM assessment_scores
WHERE round_id = $round_id

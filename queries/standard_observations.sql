-- One standard's ($standard_code) observations in one round ($round_id) with the street, department and
-- site-type filters: the sites it was assessed at (or the online material), score and max score, worst first.
SELECT site_id, site, site_type, street, department, score, max_score,
       score / nullif(max_score, 0) AS rate
FROM assessment_scores
WHERE round_id = $round_id AND standard_code = $standard_code
  AND ($street IS NULL OR street = $street)
  AND ($department IS NULL OR department = $department)
  AND ($site_type IS NULL OR site_type = $site_type)
ORDER BY rate, street, site

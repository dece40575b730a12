-- Assessment score and max score per round × street ($unit = 'street': field observations, which have a
-- street), per round × department ($unit = 'department': every observation) or per round × 包保单位
-- ($unit = 'site_unit': field observations at a site whose responsible unit is known), with the street,
-- department and site-type filters; a unit's achievement rate in a round is score / max_score. Communities
-- ($unit = 'community') have no assessment rows.
SELECT a.round_id,
       CASE WHEN $unit = 'department' THEN a.department WHEN $unit = 'site_unit' THEN s.department
            WHEN $unit = 'community' THEN NULL ELSE a.street END AS unit,
       sum(a.score) AS score, sum(a.max_score) AS max_score, count(*) AS observations
FROM assessment_scores a LEFT JOIN sites s ON s.site_id = a.site_id AND $unit = 'site_unit'
WHERE (CASE WHEN $unit = 'department' THEN a.department WHEN $unit = 'site_unit' THEN s.department
            WHEN $unit = 'community' THEN NULL ELSE a.street END) IS NOT NULL
  AND ($street IS NULL OR a.street = $street)
  AND ($department IS NULL OR a.department = $department)
  AND ($site_type IS NULL OR a.site_type = $site_type)
GROUP BY ALL
ORDER BY round_id, unit

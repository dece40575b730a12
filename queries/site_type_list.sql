-- Site types that have sites or problems.
SELECT site_type FROM (SELECT DISTINCT site_type FROM sites UNION SELECT DISTINCT site_type FROM problems)
WHERE site_type IS NOT NULL ORDER BY site_type

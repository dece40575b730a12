-- Every site the assessors could sample, with its owner and (when known) 经度/纬度 for the 六个周边 rule.
SELECT site_id, site, site_type, street, department, lon, lat
FROM sites
WHERE site_type IS NOT NULL
ORDER BY site_id

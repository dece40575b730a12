-- Sites per street × site type (the denominators when open problems are marked as fixed).
SELECT street, site_type, count(*) AS sites
FROM sites
WHERE street IS NOT NULL AND site_type IS NOT NULL
GROUP BY street, site_type

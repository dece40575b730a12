-- Problems not closed yet (status not 已整改/已销号; a closure without a known date is closed), per standard ×
-- street × site type × department × category × site (what "mark open problems as fixed" acts on). site_key is
-- the site id, or a key made from the site's name (negative) when the ledger row has no site id.
SELECT standard_code, street, site_type, department, category,
       coalesce(CAST(site_id AS BIGINT), -1 - CAST(hash(coalesce(site, problem_id)) % 1000000000 AS BIGINT))
           AS site_key,
       count(*) AS problems
FROM problems
WHERE NOT is_closed
GROUP BY ALL

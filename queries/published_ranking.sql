-- The ranking in force for one period: the latest published version for one unit kind ($unit: street,
-- department, site_unit, community) over $start..$end, one row per unit, best first (empty if never published).
SELECT version, published_at, published_by, round_name, rank, unit, total, change, flag, list_value, red_name,
       low_name, list_rule, talk, steady
FROM published_rankings
WHERE unit_kind = $unit AND period_start = $start AND period_end = $end
  AND version = (SELECT max(version) FROM published_rankings
                 WHERE unit_kind = $unit AND period_start = $start AND period_end = $end)
ORDER BY rank, unit

-- Every publication of a ranking, newest first: kind, period, version, when, by whom, from which round, how
-- many units and which went on the red list (best first) and on the yellow or black list (worst first), by the
-- value the lists were decided on (publications made before it was kept: by rank).
SELECT unit_kind, period_start, period_end, version, any_value(published_at) AS published_at,
       any_value(published_by) AS published_by, any_value(round_name) AS round_name, count(*) AS units,
       string_agg(unit, '、' ORDER BY list_value DESC NULLS LAST, rank) FILTER (WHERE flag = 'red') AS red,
       string_agg(unit, '、' ORDER BY list_value ASC NULLS LAST, rank DESC) FILTER (WHERE flag = 'yellow') AS yellow
FROM published_rankings
GROUP BY unit_kind, period_start, period_end, version
ORDER BY published_at DESC, version DESC, unit_kind

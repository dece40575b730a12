-- Points the office entered by hand for the ranking parts with measure "entered" (data/ranking_index.yaml),
-- for one unit kind ($unit) and the periods of the same length as $start..$end up to $end: the entry in force
-- (the latest) per unit, period and part, with who entered it and when.
SELECT unit, period_start, period_end, part, points, entered_at, entered_by
FROM ranking_entries
WHERE unit_kind = $unit AND period_end <= CAST($end AS DATE)
  AND period_end - period_start = CAST($end AS DATE) - CAST($start AS DATE)
ORDER BY period_end DESC, unit, part

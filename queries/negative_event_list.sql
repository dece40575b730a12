-- Every negative-list event, newest first: those the office reported (source 登记, with the unit, who and when)
-- and those imported with an assessment round (source 测评结果).
SELECT '登记' AS source, report_id, code, name, occurred_on, unit, note, entered_at, entered_by, NULL::INTEGER AS round_id
FROM negative_reports
UNION ALL
SELECT '测评结果', NULL, code, name, occurred_on, NULL, NULL, NULL, NULL, round_id
FROM negative_events
ORDER BY occurred_on DESC NULLS LAST, code

-- Every negative-list event, newest first: those the office entered on the page (source 登记, with who and when),
-- those imported from a 负面清单事项报送台账 (source 导入: the import's number, who imported it and when, the
-- file's 来源 and 报送人) and those imported with an assessment round (source 测评结果).
SELECT CASE WHEN r.import_id > 0 THEN '导入' ELSE '登记' END AS source, r.report_id, r.code, r.name, r.occurred_on,
       r.unit, r.note, r.info_source, r.reporter, coalesce(r.entered_at, l.imported_at) AS entered_at,
       coalesce(r.entered_by, l.imported_by) AS entered_by, nullif(r.import_id, 0) AS import_id,
       NULL::INTEGER AS round_id
FROM negative_reports r
LEFT JOIN import_log l ON l.import_id = r.import_id AND r.import_id > 0
UNION ALL
SELECT '测评结果', NULL, code, name, occurred_on, NULL, NULL, NULL, NULL, NULL, NULL, NULL, round_id
FROM negative_events
ORDER BY occurred_on DESC NULLS LAST, code

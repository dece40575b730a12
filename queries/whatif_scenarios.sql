-- Saved what-if scenarios (推演方案), newest first.
SELECT name, settings, created_at, created_by
FROM scenarios
ORDER BY created_at DESC, name

-- The loaded city framework's standards in framework order (the minors' framework: minors_standards).
SELECT code, section_code, section, item_code, item, content_code, content, name, method, points,
       site_types, categories, indicator, department, sort_order, methods, method_kind
FROM standards
WHERE framework = 'city'
ORDER BY sort_order

-- The loaded framework's standards in framework order.
SELECT code, section_code, section, item_code, item, content_code, content, name, method, points,
       site_types, categories, indicator, department, sort_order
FROM standards
ORDER BY sort_order

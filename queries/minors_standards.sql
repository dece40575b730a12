-- The minors' framework's standards (未成年人思想道德建设测评体系, data/framework.yaml minors), in framework order;
-- empty when the framework has no minors' part.
SELECT code, section_code, section, item_code, item, content_code, content, name, method, points,
       site_types, categories, indicator, department, sort_order, methods, method_kind
FROM standards
WHERE framework = 'minors'
ORDER BY sort_order

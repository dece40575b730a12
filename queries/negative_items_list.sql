-- The negative list (负面清单) with each item's sanction, window and owner, in the framework's order.
SELECT code, name, deduction, veto, sanction, window_months, department, when_applying
FROM negative_items
ORDER BY code

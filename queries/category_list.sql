-- Problem categories in the ledger, most frequent first.
SELECT category, count(*) AS problems FROM problems WHERE category IS NOT NULL
GROUP BY category ORDER BY problems DESC, category

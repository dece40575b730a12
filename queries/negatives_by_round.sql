-- Negative-list events (负面清单) per round: deductions and vetoes.
SELECT round_id, code, name, occurred_on, deduction, veto
FROM negative_events
ORDER BY round_id, code

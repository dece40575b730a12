-- Negative-list events (负面清单) per round: deductions and vetoes. Events imported with a round count for that
-- round; events the office reports with a date (negative_reports) count for every round held within their item's
-- window_months after the event (the event's day included): its points for a 扣分 item, a veto for the
-- sanctions that fail the city (暂停提名资格, 暂停称号一年, 撤销称号).
SELECT round_id, code, name, occurred_on, deduction, veto
FROM negative_events
UNION ALL
SELECT a.round_id, r.code, r.name, r.occurred_on,
       CASE WHEN n.sanction = '扣分' THEN n.deduction ELSE 0 END AS deduction, n.sanction <> '扣分' AS veto
FROM negative_reports r
JOIN negative_items n USING (code)
JOIN assessment_rounds a
  ON r.occurred_on <= a.held_on AND r.occurred_on > a.held_on - to_months(n.window_months)
ORDER BY round_id, code

-- How fast problems were closed before (推演 effort defaults): closed problems and the days they took,
-- per standard × department (the what-if model rolls them up per standard, per department and overall).
-- Only problems with a known closing date count. department is the problem's own (the unit the import
-- attributed it to), not split over its responsible units: these are effort estimates, not counts to add up.
SELECT standard_code, department, count(*) AS closed, sum(closed_on - found_on) AS days
FROM problems
WHERE closed_on >= found_on
GROUP BY standard_code, department

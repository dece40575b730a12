-- Responsible departments in their official order.
SELECT department, dept_type FROM departments ORDER BY sort_order, department

-- Streets and towns in their official order.
SELECT street, street_type FROM streets ORDER BY sort_order, street

-- Survey rates per round × street × indicator.
SELECT round_id, street, indicator, rate, respondents
FROM survey_rates
ORDER BY round_id, street, indicator

-- Score and max score per round × standard, summed over sites (the input to each round's total).
SELECT round_id, standard_code, sum(score) AS score, sum(max_score) AS max_score
FROM assessment_scores
GROUP BY round_id, standard_code

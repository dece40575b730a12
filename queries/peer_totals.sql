-- Published totals of the peer districts per round.
SELECT round_id, peer, total
FROM peer_scores
ORDER BY round_id, total DESC

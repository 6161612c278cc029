-- A delivery that no event created (a resend), with its first history line; the unique
-- index refuses a second automatic delivery for a SIM.
WITH ins AS (
    INSERT INTO deliveries (id, status, event_id, event_type, project, sim_id,
        subscription_id, user_id, recipient, automatic, resend_of, next_attempt_at)
    VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
    ON CONFLICT (project, sim_id) WHERE automatic AND sim_id IS NOT NULL DO NOTHING
    RETURNING id, status
), hist AS (
    INSERT INTO delivery_history (delivery_id, status, detail)
    SELECT id, status, $11 FROM ins
), notify AS (
    SELECT pg_notify($12, '') FROM ins
)
SELECT id AS "id!", (SELECT count(*) FROM notify) AS "notified!" FROM ins

-- A delivery that no webhook's batch created (a resend, a reminder, a reconciled SIM), with
-- its first history line; the unique indexes refuse a second automatic delivery for a SIM
-- and a second reminder for one event.
WITH ins AS (
    INSERT INTO deliveries (id, status, kind, event_id, event_type, project, sim_id,
        subscription_id, user_id, recipient, automatic, resend_of, reminder_of,
        iccid, phone_number, notice_of, locale, installed_at, next_attempt_at)
    VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $15, $16, $17, $18,
        (SELECT installed_at FROM sim_installs WHERE project = $5 AND sim_id = $6), now())
    ON CONFLICT DO NOTHING
    RETURNING id, status
), hist AS (
    INSERT INTO delivery_history (delivery_id, status, detail)
    SELECT id, status, $13 FROM ins
), notify AS (
    SELECT pg_notify($14, '') FROM ins
)
SELECT id AS "id!: DeliveryId", (SELECT count(*) FROM notify) AS "notified!" FROM ins

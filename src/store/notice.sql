-- Queues a notice to the previous address of a delivery just recorded as delivered ($1),
-- in the transaction that recorded it.
WITH notice AS (
    INSERT INTO deliveries (id, status, kind, event_id, event_type, project, sim_id,
        subscription_id, user_id, recipient, automatic, notice_of, locale, iccid, phone_number,
        next_attempt_at)
    SELECT $2, 'pending', 'notice', d.event_id, d.event_type, d.project, d.sim_id,
        d.subscription_id, d.user_id, $3, false, d.id, $4, d.iccid, d.phone_number, now()
    FROM deliveries d WHERE d.id = $1 AND d.status = 'delivered'
    RETURNING id, status
), hist AS (
    INSERT INTO delivery_history (delivery_id, status, detail)
    SELECT id, status, $5 FROM notice
)
SELECT count(pg_notify($6, '')) AS "queued!" FROM notice

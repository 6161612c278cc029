-- Records an attempt's outcome if the caller still holds the lease ($2).
WITH upd AS (
    UPDATE deliveries SET
        status = $3, reason = $4, next_attempt_at = $5,
        message_id = coalesce($6, message_id),
        user_id = coalesce($7, user_id),
        recipient = coalesce($8, recipient),
        locale = coalesce($10, locale),
        delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
        lease_token = NULL, locked_until = NULL, updated_at = now()
    WHERE id = $1 AND lease_token = $2
    RETURNING id, status
), hist AS (
    INSERT INTO delivery_history (delivery_id, status, detail)
    SELECT id, status, $9 FROM upd
), alert AS (
    -- A failure's alert commits with the failure, or not at all.
    INSERT INTO alerts (kind, delivery_id, text, dedupe_key)
    SELECT $11, id, $12, $13 FROM upd
    WHERE $11::text IS NOT NULL
    ON CONFLICT (dedupe_key) DO NOTHING
)
SELECT count(*) AS "updated!" FROM upd

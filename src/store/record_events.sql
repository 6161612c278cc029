-- One batch of verified webhooks, in one autocommit statement. Rows arrive distinct (no
-- two share a webhook id, event id or SIM). Answers one row per input row, in order.
WITH plan AS (
    SELECT * FROM unnest(
        $1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
        $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
        $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[]
    ) WITH ORDINALITY AS t(webhook_id, event_id, event_type, project, payload,
        d_id, d_status, d_reason, d_project, sim, sub, usr, rcpt, iccid, phone, detail, n)
),
-- SIMs that already have their automatic delivery: the event joins it instead.
known AS (
    SELECT p.webhook_id, d.id AS existing_id, d.status AS existing_status
    FROM plan p
    JOIN deliveries d ON d.project = p.d_project AND d.sim_id = p.sim AND d.automatic
    WHERE p.d_id IS NOT NULL
),
ev AS (
    INSERT INTO webhook_events (webhook_id, event_id, event_type, project, payload, delivery_id)
    SELECT p.webhook_id, p.event_id, p.event_type, p.project, p.payload::jsonb,
        coalesce(k.existing_id, p.d_id)
    FROM plan p LEFT JOIN known k USING (webhook_id)
    ORDER BY p.n
    ON CONFLICT DO NOTHING
    RETURNING webhook_id
),
-- A SIM claimed meanwhile by another transaction makes this insert skip its row, and
-- the event's delivery_id then fails the foreign key: the caller retries one by one.
dl AS (
    INSERT INTO deliveries (id, status, reason, event_id, event_type, project, sim_id,
        subscription_id, user_id, recipient, iccid, phone_number, automatic, next_attempt_at,
        installed_at)
    SELECT p.d_id, p.d_status, p.d_reason, p.event_id, p.event_type, p.d_project, p.sim,
        p.sub, p.usr, p.rcpt, p.iccid, p.phone, true, CASE WHEN p.d_status = 'pending' THEN now() END,
        (SELECT si.installed_at FROM sim_installs si
         WHERE si.project = p.d_project AND si.sim_id = p.sim)
    FROM plan p JOIN ev USING (webhook_id)
    WHERE p.d_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM known k WHERE k.webhook_id = p.webhook_id)
    ON CONFLICT (project, sim_id) WHERE automatic AND sim_id IS NOT NULL DO NOTHING
    RETURNING id, status
),
hist AS (
    INSERT INTO delivery_history (delivery_id, status, detail)
    SELECT dl.id, dl.status, p.detail FROM dl JOIN plan p ON p.d_id = dl.id
    UNION ALL
    SELECT k.existing_id, k.existing_status, p.event_type || ' ' || p.event_id || ': ' || $18
    FROM known k JOIN plan p USING (webhook_id) JOIN ev USING (webhook_id)
),
-- Delivered to idle workers when this statement commits.
notify AS (
    SELECT pg_notify($17, '') FROM dl WHERE dl.status = 'pending' LIMIT 1
)
SELECT ev.webhook_id IS NOT NULL AS "inserted!",
    CASE WHEN ev.webhook_id IS NOT NULL THEN coalesce(dl.id, k.existing_id) END
        AS "delivery?: DeliveryId",
    dl.status AS "created?: DeliveryStatus",
    (SELECT count(*) FROM notify) AS "notified!"
FROM plan p
LEFT JOIN ev USING (webhook_id)
LEFT JOIN dl ON dl.id = p.d_id
LEFT JOIN known k USING (webhook_id)
ORDER BY p.n

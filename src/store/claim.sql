-- Claims up to $1 due deliveries, and those whose lease ran out, for a lease of $2
-- seconds. SKIP LOCKED lets several workers claim side by side without waiting.
WITH expired AS (
    SELECT id, true AS reclaimed FROM deliveries
    WHERE status = 'processing' AND locked_until <= now()
    ORDER BY locked_until LIMIT $1 FOR UPDATE SKIP LOCKED
), fresh AS (
    SELECT id, false AS reclaimed FROM deliveries
    WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now()
    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
), due AS (
    -- Two index-ordered scans, expired leases first, each stopping at the limit:
    -- one ORDER BY over both conditions would read and sort the whole backlog.
    SELECT * FROM expired UNION ALL SELECT * FROM fresh LIMIT $1
), claimed AS (
    UPDATE deliveries d SET
        status = 'processing',
        attempts = d.attempts + 1,
        lease_token = gen_random_uuid()::text,
        locked_until = now() + make_interval(secs => $2),
        next_attempt_at = NULL,
        reason = NULL,
        updated_at = now()
    FROM due WHERE d.id = due.id
    -- Installed-ness read at claim time, not copied earlier: a reminder claimed after the
    -- eSIM was installed is then skipped, whatever order the two commits came in.
    RETURNING d.id, d.lease_token, d.attempts, d.project, d.sim_id,
        d.subscription_id, d.user_id, d.kind, d.recipient, d.locale,
        (SELECT si.installed_at FROM sim_installs si
         WHERE si.project = d.project AND si.sim_id = d.sim_id) AS installed_at,
        due.reclaimed
), hist AS (
    INSERT INTO delivery_history (delivery_id, status, detail)
    SELECT id, 'processing',
        CASE WHEN reclaimed THEN 'lease expired; attempt ' || attempts
             ELSE 'attempt ' || attempts END
    FROM claimed
)
SELECT id AS "id!: DeliveryId", lease_token AS "lease_token!", attempts AS "attempts!",
    project AS "project!", sim_id AS "sim_id: SimId",
    subscription_id AS "subscription_id: SubscriptionId", user_id AS "user_id: UserId",
    kind AS "kind!: DeliveryKind", recipient, locale, installed_at AS "installed_at?",
    reclaimed AS "reclaimed!"
FROM claimed

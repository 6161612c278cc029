-- Operator actions: bounces, the suppression list, alerts, erasure.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN
    ('pending', 'processing', 'retrying', 'delivered', 'failed', 'skipped', 'bounced'));

-- Bounces name our Message-ID; bulk retry reads failed and bounced deliveries by time.
CREATE INDEX deliveries_by_message_id ON deliveries (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX deliveries_final_by_time ON deliveries (status, updated_at)
    WHERE status IN ('failed', 'bounced');
CREATE INDEX deliveries_by_resend_of ON deliveries (resend_of) WHERE resend_of IS NOT NULL;

-- Addresses that bounced for good or complained: never mailed again until removed.
CREATE TABLE suppressions (
    email        TEXT PRIMARY KEY,          -- lower-cased
    reason       TEXT NOT NULL,
    provider     TEXT NOT NULL,
    delivery_id  TEXT REFERENCES deliveries (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Alerts to ALERT_WEBHOOK_URL, sent by whichever process gets to them: an outbox, so a
-- receiver that is down delays alerts and never a delivery.
CREATE TABLE alerts (
    seq              BIGSERIAL PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('failed', 'bounced', 'quiet')),
    delivery_id      TEXT REFERENCES deliveries (id),
    text             TEXT NOT NULL,
    -- One alert per cause: a delivery's failure, or one quiet spell.
    dedupe_key       TEXT NOT NULL UNIQUE,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX alerts_due ON alerts (next_attempt_at) WHERE sent_at IS NULL;

-- Erasure and retention find a user's deliveries and old rows without a full scan.
CREATE INDEX webhook_events_by_delivery ON webhook_events (delivery_id);
ALTER TABLE webhook_events ADD COLUMN erased_at TIMESTAMPTZ;
-- Retention walks what is left to erase, oldest first; erased rows leave the index.
CREATE INDEX webhook_events_to_erase ON webhook_events (received_at) WHERE erased_at IS NULL;
CREATE INDEX deliveries_by_created_at ON deliveries (created_at) WHERE recipient IS NOT NULL;

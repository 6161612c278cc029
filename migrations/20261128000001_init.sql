-- Events as received, kept for good: the unique keys make redelivery idempotent.
CREATE TABLE webhook_events (
    seq          BIGSERIAL PRIMARY KEY,
    webhook_id   TEXT NOT NULL UNIQUE,
    event_id     TEXT NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    project      TEXT,
    payload      JSONB NOT NULL,
    delivery_id  TEXT,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per email to send. Credentials are never stored: they are fetched at send time.
CREATE TABLE deliveries (
    seq              BIGSERIAL NOT NULL UNIQUE,
    id               TEXT PRIMARY KEY,
    status           TEXT NOT NULL CHECK (status IN
                        ('pending', 'processing', 'retrying', 'delivered', 'failed', 'skipped')),
    reason           TEXT,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    project          TEXT NOT NULL,
    sim_id           TEXT,
    subscription_id  TEXT,
    user_id          TEXT,
    recipient        TEXT,
    automatic        BOOLEAN NOT NULL,
    resend_of        TEXT REFERENCES deliveries (id),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    lease_token      TEXT,
    locked_until     TIMESTAMPTZ,
    message_id       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at     TIMESTAMPTZ
);

ALTER TABLE webhook_events
    ADD CONSTRAINT webhook_events_delivery_fk FOREIGN KEY (delivery_id) REFERENCES deliveries (id);

-- Each SIM gets one automatic email; resends are not automatic.
CREATE UNIQUE INDEX deliveries_one_automatic_per_sim
    ON deliveries (project, sim_id) WHERE automatic AND sim_id IS NOT NULL;

-- The worker's claim query: due work, and work whose lease ran out.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_leased ON deliveries (locked_until)
    WHERE status = 'processing';

-- Status API filters, each newest first.
CREATE INDEX deliveries_by_sim ON deliveries (sim_id, seq DESC);
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, seq DESC);
CREATE INDEX deliveries_by_user ON deliveries (user_id, seq DESC);
CREATE INDEX deliveries_by_recipient ON deliveries (lower(recipient), seq DESC);
CREATE INDEX deliveries_by_status ON deliveries (status, seq DESC);
CREATE INDEX deliveries_by_event ON deliveries (event_id, seq DESC);

CREATE TABLE delivery_history (
    seq          BIGSERIAL PRIMARY KEY,
    delivery_id  TEXT NOT NULL REFERENCES deliveries (id),
    at           TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    status       TEXT NOT NULL,
    detail       TEXT NOT NULL
);
CREATE INDEX delivery_history_by_delivery ON delivery_history (delivery_id, seq);

-- The console: sessions stored hashed, the overview's figures computed by a job (never per
-- page view), and time ranges of the delivery list found without a scan.

-- Only a SHA-256 of the cookie is stored: the table alone opens no session.
CREATE TABLE console_sessions (
    id_hash      BYTEA PRIMARY KEY,
    -- Which configured token signed in (an HMAC of it): the session ends when the token
    -- is no longer configured.
    token_mac    BYTEA NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

-- One row: the overview's figures as of `computed_at`.
CREATE TABLE console_stats (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    computed_at  TIMESTAMPTZ NOT NULL,
    figures      JSONB NOT NULL
);

-- Deliveries are appended in time order: a BRIN index finds a time range in a few blocks
-- and costs next to nothing per insert.
CREATE INDEX deliveries_created_brin ON deliveries USING brin (created_at);

-- Install links opened (history lines with a device class), by time: the overview's funnel.
CREATE INDEX delivery_history_opens ON delivery_history (at) WHERE device IS NOT NULL;

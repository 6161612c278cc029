-- Device-aware install links. Only a SHA-256 of each token is kept: the table alone
-- cannot open a link, and credentials are fetched from Gigs at click time.
CREATE TABLE install_links (
    token_hash     BYTEA PRIMARY KEY,
    delivery_id    TEXT NOT NULL REFERENCES deliveries (id),
    project        TEXT NOT NULL,
    sim_id         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    clicks         INTEGER NOT NULL DEFAULT 0,
    last_click_at  TIMESTAMPTZ
);
CREATE INDEX install_links_by_delivery ON install_links (delivery_id);
CREATE INDEX install_links_live_by_sim ON install_links (project, sim_id) WHERE revoked_at IS NULL;

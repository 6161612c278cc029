-- When an operator lifted an address's suppression: a hard bounce about an email sent
-- before that (a replayed or late notification) must not suppress the address again.
-- Kept 7 days (bounces of older emails are not matched to a delivery anyway), pruned by
-- the statements that read it; erasure removes an address's row with its suppression.
CREATE TABLE suppression_lifts (
    email      TEXT PRIMARY KEY,          -- lower-cased
    lifted_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
